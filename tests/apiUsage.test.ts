/**
 * The Cloudflare API estimate: per zone, a zone fetch, the pages of records and
 * the empty page that ends cloudflare-go v5's auto-pager, scaled to Cloudflare's
 * 5-minute window.
 */
import { describe, expect, it } from "vitest";
import {
  CLOUDFLARE_RATE_LIMIT,
  estimateApiUsage,
  requestsPerZone,
  WARNING_SHARE,
} from "../plan/apiUsage";

const base = {
  zoneCount: 2,
  recordsPerZone: 1000,
  recordsPerPage: 5000,
  intervalSeconds: 60,
  triggerLoopOnEvent: false,
};

describe("requestsPerZone", () => {
  // What the real external-dns 0.21 Cloudflare provider requested from a recording stand-in.
  it.each([
    { records: 0, perPage: 5000, requests: 2 },
    { records: 1, perPage: 5000, requests: 3 },
    { records: 5000, perPage: 5000, requests: 3 },
    { records: 5001, perPage: 5000, requests: 4 },
    { records: 1001, perPage: 100, requests: 13 },
  ])(
    "$records records at $perPage per page: $requests requests",
    ({ records, perPage, requests }) => {
      expect(requestsPerZone(records, perPage)).toBe(requests);
    },
  );
});

describe("estimateApiUsage", () => {
  it("counts the zone fetch, the page of records and the final empty page of each zone", () => {
    const usage = estimateApiUsage(base);
    expect(usage.requestsPerReconcile).toBe(6);
    expect(usage.reconcilesPerWindow).toBe(5);
    expect(usage.requestsPerWindow).toBe(30);
    expect(usage.shareOfLimit).toBeCloseTo(30 / 1200);
    expect(usage.warnings).toEqual([]);
  });

  it("scales with the interval, also beyond the window", () => {
    expect(estimateApiUsage({ ...base, intervalSeconds: 30 }).requestsPerWindow).toBe(60);
    expect(estimateApiUsage({ ...base, intervalSeconds: 600 }).requestsPerWindow).toBe(3);
  });

  it("never counts more than one reconcile a second, the controller's tick", () => {
    const usage = estimateApiUsage({ ...base, intervalSeconds: 1e-9 });
    expect(usage.reconcilesPerWindow).toBe(300);
    expect(usage.requestsPerWindow).toBe(1800);
  });

  it("warns above the stated share of Cloudflare's limit, naming the knobs", () => {
    const atTheShare = estimateApiUsage({ ...base, zoneCount: 40 });
    expect(atTheShare.requestsPerWindow).toBe(600);
    expect(atTheShare.shareOfLimit).toBe(WARNING_SHARE);
    expect(atTheShare.warnings).toEqual([]);
    const above = estimateApiUsage({ ...base, zoneCount: 41 });
    expect(above.warnings).toEqual([
      expect.stringMatching(/51\.3% of Cloudflare's limit of 1200 .*interval.*recordsPerPage/),
    ]);
    expect(CLOUDFLARE_RATE_LIMIT).toEqual({ requests: 1200, windowSeconds: 300 });
  });

  it("with triggerLoopOnEvent, estimates bursts at the minimum event sync interval", () => {
    const usage = estimateApiUsage({ ...base, triggerLoopOnEvent: true });
    expect(usage.eventBurstRequestsPerWindow).toBe(6 * 60);
    expect(usage.warnings).toEqual([]);
  });

  it("warns whenever a burst reaches Cloudflare's limit", () => {
    const tenZones = estimateApiUsage({ ...base, zoneCount: 10, triggerLoopOnEvent: true });
    expect(tenZones.eventBurstRequestsPerWindow).toBe(1800);
    expect(tenZones.warnings).toEqual([
      expect.stringMatching(/could drive 1800 requests per 5 minutes, above Cloudflare's limit/),
    ]);
    const exactlyAtTheLimit = estimateApiUsage({
      ...base,
      zoneCount: 10,
      recordsPerZone: 0,
      triggerLoopOnEvent: true,
    });
    expect(exactlyAtTheLimit.eventBurstRequestsPerWindow).toBe(1200);
    expect(exactlyAtTheLimit.warnings).toEqual([
      expect.stringMatching(/could drive 1200 requests per 5 minutes, all of Cloudflare's limit/),
    ]);
    const justBelow = estimateApiUsage({
      ...base,
      zoneCount: 9,
      recordsPerZone: 0,
      triggerLoopOnEvent: true,
    });
    expect(justBelow.eventBurstRequestsPerWindow).toBe(1080);
    expect(justBelow.warnings).toEqual([]);
  });
});
