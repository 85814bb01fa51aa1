/**
 * How many Cloudflare API requests external-dns (0.21, Cloudflare provider)
 * makes. With `--zone-id-filter`, every reconcile fetches each zone by ID and
 * then lists its records through cloudflare-go v5's auto-pager, which ignores
 * `total_pages` and asks for the next page until one comes back empty. Changes
 * add requests on top.
 */

/** Cloudflare's global API rate limit per user: 1,200 requests per 5 minutes. */
export const CLOUDFLARE_RATE_LIMIT = { requests: 1200, windowSeconds: 300 } as const;

/** Above this share of the limit the plan warns: the token shares it with everything else the user runs. */
export const WARNING_SHARE = 0.5;

/** external-dns's default `--min-event-sync-interval`: the fastest event-triggered reconciles come. */
export const MIN_EVENT_SYNC_INTERVAL_SECONDS = 5;

/** external-dns's controller loop ticks once a second (controller.Run's time.NewTicker). */
export const CONTROLLER_TICK_SECONDS = 1;

export const DEFAULT_RECORDS_PER_ZONE = 1000;

export interface ApiUsageInput {
  zoneCount: number;
  /** DNS records in each zone, ownership TXT records included. */
  recordsPerZone: number;
  recordsPerPage: number;
  intervalSeconds: number;
  triggerLoopOnEvent: boolean;
}

export interface ApiUsageEstimate extends ApiUsageInput {
  requestsPerReconcile: number;
  reconcilesPerWindow: number;
  requestsPerWindow: number;
  /** requestsPerWindow / Cloudflare's limit. */
  shareOfLimit: number;
  /** With triggerLoopOnEvent: requests per window when events keep arriving. */
  eventBurstRequestsPerWindow?: number;
  warnings: string[];
}

/**
 * Requests one reconcile makes for one zone: the zone fetch, every page that
 * holds records, and the empty page that ends the auto-pager (for an empty
 * zone, the first page is that empty page).
 */
export function requestsPerZone(records: number, recordsPerPage: number): number {
  const zoneFetch = 1;
  const pagesWithRecords = Math.ceil(records / recordsPerPage);
  const finalEmptyPage = 1;
  return zoneFetch + pagesWithRecords + finalEmptyPage;
}

export function estimateApiUsage(input: ApiUsageInput): ApiUsageEstimate {
  const requestsPerReconcile =
    input.zoneCount * requestsPerZone(input.recordsPerZone, input.recordsPerPage);
  const window = CLOUDFLARE_RATE_LIMIT.windowSeconds;
  // The controller checks once a second whether a reconcile is due: nothing runs faster.
  const intervalSeconds = Math.max(CONTROLLER_TICK_SECONDS, input.intervalSeconds);
  const reconcilesPerWindow = window / intervalSeconds;
  const requestsPerWindow = Math.ceil(requestsPerReconcile * reconcilesPerWindow);
  const shareOfLimit = requestsPerWindow / CLOUDFLARE_RATE_LIMIT.requests;
  const eventBurstRequestsPerWindow = input.triggerLoopOnEvent
    ? requestsPerReconcile * (window / Math.min(MIN_EVENT_SYNC_INTERVAL_SECONDS, intervalSeconds))
    : undefined;

  const warnings: string[] = [];
  if (shareOfLimit > WARNING_SHARE) {
    warnings.push(
      `external-dns would use ${percent(shareOfLimit)} of Cloudflare's limit of ${CLOUDFLARE_RATE_LIMIT.requests} requests per 5 minutes ` +
        `(more than ${percent(WARNING_SHARE)}): raise external-dns:interval or external-dns:recordsPerPage`,
    );
  }
  if (
    eventBurstRequestsPerWindow !== undefined &&
    eventBurstRequestsPerWindow >= CLOUDFLARE_RATE_LIMIT.requests
  ) {
    warnings.push(
      `with triggerLoopOnEvent, a steady stream of Kubernetes events could drive ${eventBurstRequestsPerWindow} requests per 5 minutes, ` +
        `${eventBurstRequestsPerWindow > CLOUDFLARE_RATE_LIMIT.requests ? "above" : "all of"} Cloudflare's limit of ${CLOUDFLARE_RATE_LIMIT.requests}: ` +
        "turn external-dns:triggerLoopOnEvent off (or manage fewer zones per token)",
    );
  }
  return {
    ...input,
    requestsPerReconcile,
    reconcilesPerWindow,
    requestsPerWindow,
    shareOfLimit,
    eventBurstRequestsPerWindow,
    warnings,
  };
}

export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
