/**
 * The Cloudflare API estimate: zone lookups plus record pages per reconcile,
 * scaled to Cloudflare's 5-minute window.
 */
import { describe, expect, it } from "vitest";
import { CLOUDFLARE_RATE_LIMIT, estimateApiUsage, WARNING_SHARE } from "../plan/apiUsage";

const base = {
  zoneCount: 2,
  recordsPerZone: 1000,
  recordsPerPage: 5000,
  intervalSeconds: 60,
  triggerLoopOnEvent: false,
};

describe("estimateApiUsage", () => {
  it("counts one zone lookup and one page per zone when the records fit a page", () => {
    const usage = estimateApiUsage(base);
    expect(usage.requestsPerReconcile).toBe(4);
    expect(usage.reconcilesPerWindow).toBe(5);
    expect(usage.requestsPerWindow).toBe(20);
    expect(usage.shareOfLimit).toBeCloseTo(20 / 1200);
    expect(usage.warnings).toEqual([]);
  });

  it("pages through the records: 1,001 records at 100 per page are 11 pages", () => {
    expect(
      estimateApiUsage({ ...base, zoneCount: 1, recordsPerZone: 1001, recordsPerPage: 100 })
        .requestsPerReconcile,
    ).toBe(12);
  });

  it("still lists an empty zone once", () => {
    expect(
      estimateApiUsage({ ...base, zoneCount: 1, recordsPerZone: 0 }).requestsPerReconcile,
    ).toBe(2);
  });

  it("scales with the interval, also beyond the window", () => {
    expect(estimateApiUsage({ ...base, intervalSeconds: 30 }).requestsPerWindow).toBe(40);
    expect(estimateApiUsage({ ...base, intervalSeconds: 600 }).requestsPerWindow).toBe(2);
  });

  it("warns above the stated share of Cloudflare's limit, naming the knobs", () => {
    const justBelow = estimateApiUsage({ ...base, zoneCount: 60, intervalSeconds: 60 });
    expect(justBelow.requestsPerWindow).toBe(600);
    expect(justBelow.shareOfLimit).toBe(WARNING_SHARE);
    expect(justBelow.warnings).toEqual([]);
    const above = estimateApiUsage({ ...base, zoneCount: 61 });
    expect(above.warnings).toEqual([
      expect.stringMatching(/50\.8% of Cloudflare's limit of 1200 .*interval.*recordsPerPage/),
    ]);
    expect(CLOUDFLARE_RATE_LIMIT).toEqual({ requests: 1200, windowSeconds: 300 });
  });

  it("with triggerLoopOnEvent, estimates bursts at the minimum event sync interval", () => {
    const usage = estimateApiUsage({ ...base, triggerLoopOnEvent: true });
    expect(usage.eventBurstRequestsPerWindow).toBe(4 * 60);
    expect(usage.warnings).toEqual([]);
    const atTheLimit = estimateApiUsage({ ...base, zoneCount: 10, triggerLoopOnEvent: true });
    expect(atTheLimit.eventBurstRequestsPerWindow).toBe(1200);
    expect(atTheLimit.warnings).toEqual([]);
    const busy = estimateApiUsage({ ...base, zoneCount: 20, triggerLoopOnEvent: true });
    expect(busy.eventBurstRequestsPerWindow).toBe(2400);
    expect(busy.warnings).toEqual([
      expect.stringMatching(/steady stream of Kubernetes events could drive 2400 requests/),
    ]);
  });
});
