/**
 * How many Cloudflare API requests external-dns (0.21, Cloudflare provider)
 * makes. With `--zone-id-filter`, every reconcile fetches each zone by ID and
 * then lists its records page by page; changes add requests on top.
 */

/** Cloudflare's global API rate limit per user: 1,200 requests per 5 minutes. */
export const CLOUDFLARE_RATE_LIMIT = { requests: 1200, windowSeconds: 300 } as const;

/** Above this share of the limit the plan warns: the token shares it with everything else the user runs. */
export const WARNING_SHARE = 0.5;

/** external-dns's default `--min-event-sync-interval`: the fastest event-triggered reconciles come. */
export const MIN_EVENT_SYNC_INTERVAL_SECONDS = 5;

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

export function estimateApiUsage(input: ApiUsageInput): ApiUsageEstimate {
  const pagesPerZone = Math.max(1, Math.ceil(input.recordsPerZone / input.recordsPerPage));
  const requestsPerReconcile = input.zoneCount * (1 + pagesPerZone);
  const window = CLOUDFLARE_RATE_LIMIT.windowSeconds;
  const reconcilesPerWindow = window / input.intervalSeconds;
  const requestsPerWindow = Math.ceil(requestsPerReconcile * reconcilesPerWindow);
  const shareOfLimit = requestsPerWindow / CLOUDFLARE_RATE_LIMIT.requests;
  const eventBurstRequestsPerWindow = input.triggerLoopOnEvent
    ? requestsPerReconcile *
      (window / Math.min(MIN_EVENT_SYNC_INTERVAL_SECONDS, input.intervalSeconds))
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
    eventBurstRequestsPerWindow > CLOUDFLARE_RATE_LIMIT.requests
  ) {
    warnings.push(
      `with triggerLoopOnEvent, a steady stream of Kubernetes events could drive ${eventBurstRequestsPerWindow} requests per 5 minutes, ` +
        `above Cloudflare's limit of ${CLOUDFLARE_RATE_LIMIT.requests}`,
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
