/**
 * What a fleet adds up to at Cloudflare (fleet/limits.ts, fleet/report.ts):
 * identities, requests per 5 minutes against 1,200 per user, tokens against
 * 50 per user and 500 per account with the rotation overlap, and rotation days
 * shared within an identity. Expected figures are worked out by hand from
 * external-dns's requests per reconcile (plan/apiUsage.ts): 1 zone read, the
 * pages that hold records, and the empty page that ends the listing.
 */
import { describe, expect, it } from "vitest";
import { tokenSpec } from "../components/tokenLifecycle";
import {
  calendarEntry,
  identityOf,
  identityUse,
  rotationClashes,
  stackApiUse,
} from "../fleet/limits";
import { buildFleetReport } from "../fleet/report";
import { AGE_KEY, enabled, members, NOW, stackKeys } from "./support/fleet";

const ACCOUNT = "9a7806061c88ada191ed06f989cc3dac";
const TWO_ZONES = { zones: ["example.com", "example.org"] };
/** Each cluster its own names in both zones, so that no overlap warning mixes in. */
const own = (cluster: string) => ({
  ...TWO_ZONES,
  domainFilters: [`${cluster}.example.com`, `${cluster}.example.org`],
});

describe("identities", () => {
  it("puts every user-owned stack under one user, account-owned ones under their account, and takes an override", () => {
    const fleet = enabled({
      hel1: stackKeys("hel1"),
      fsn1: stackKeys("fsn1", { tokenOwner: "account", accountId: ACCOUNT }),
      staging: stackKeys("staging", { cloudflareIdentity: "staging-bot" }),
    });
    expect(fleet.map((member) => identityOf(member.settings))).toEqual([
      "user",
      `account:${ACCOUNT}`,
      "staging-bot",
    ]);
  });
});

describe("requests per 5 minutes", () => {
  it("one stack: per zone 1 zone read + 1 page of 1,000 records + 1 empty page, every minute", () => {
    const [hel1] = enabled({ hel1: stackKeys("hel1", TWO_ZONES) });
    // 2 zones × 3 requests × 5 reconciles
    expect(stackApiUse(hel1, 1000)).toEqual({
      stack: "hel1",
      requestsPerWindow: 30,
      burstPerWindow: 30,
    });
  });

  it("the burst figure: with events, a reconcile every 5 s", () => {
    const [hel1] = enabled({ hel1: stackKeys("hel1", { triggerLoopOnEvent: true }) });
    // 1 zone × 3 requests × 60 reconciles
    expect(stackApiUse(hel1, 1000).burstPerWindow).toBe(180);
  });

  it("adds up the stacks of an identity, and keeps identities apart", () => {
    const fleet = enabled({
      hel1: stackKeys("hel1", { ...TWO_ZONES, interval: "10s", recordsPerPage: 100 }),
      fsn1: stackKeys("fsn1", { ...TWO_ZONES, interval: "10s", recordsPerPage: 100 }),
      other: stackKeys("other", { ...TWO_ZONES, cloudflareIdentity: "other-user" }),
    });
    const uses = identityUse(fleet, 1000, []);
    // per stack: 2 zones × (1 + 10 pages + 1) × 30 reconciles = 720
    expect(
      uses.map(({ identity, requestsPerWindow }) => ({ identity, requestsPerWindow })),
    ).toEqual([
      { identity: "user", requestsPerWindow: 1440 },
      { identity: "other-user", requestsPerWindow: 30 },
    ]);
    expect(uses[0].shareOfLimit).toBeCloseTo(1.2);
  });

  it("above the limit is an error; above half of it a warning, though each stack alone is below half", () => {
    const over = buildFleetReport(
      members({
        hel1: stackKeys("hel1", { ...TWO_ZONES, interval: "10s", recordsPerPage: 100 }),
        fsn1: stackKeys("fsn1", { ...TWO_ZONES, interval: "10s", recordsPerPage: 100 }),
      }),
      { recordsPerZone: 1000, now: NOW },
    );
    expect(over.errors).toEqual([
      expect.stringMatching(
        /^identity user: its stacks' external-dns would make 1440 requests per 5 minutes, 120% of Cloudflare's limit of 1200 per user: Cloudflare would answer 429/,
      ),
    ]);
    const half = buildFleetReport(
      members({
        hel1: stackKeys("hel1", { ...own("hel1"), interval: "20s", recordsPerPage: 100 }),
        fsn1: stackKeys("fsn1", { ...own("fsn1"), interval: "20s", recordsPerPage: 100 }),
      }),
      { recordsPerZone: 1000, now: NOW },
    );
    // each: 2 × 12 × 15 = 360 (30%); together 720 (60%)
    expect(half.errors).toEqual([]);
    expect(half.warnings).toEqual([
      expect.stringMatching(
        /^identity user: its stacks' external-dns would make 720 requests per 5 minutes, 60% of Cloudflare's limit of 1200 \(more than 50%\)/,
      ),
    ]);
  });
});

describe("tokens", () => {
  const rotating = (days: number, offset: number) => ({
    tokenRotationDays: days,
    tokenRotationOffsetDays: offset,
  });

  it("one per enabled stack, plus the most stacks that rotate on one day", () => {
    const fleet = enabled({
      a: stackKeys("a", rotating(30, 3)),
      b: stackKeys("b", rotating(30, 3)),
      c: stackKeys("c", rotating(30, 7)),
      d: stackKeys("d", { tokenOwner: "account", accountId: ACCOUNT, cloudflareIdentity: "user" }),
    });
    const calendar = fleet.map((member) => calendarEntry(member, NOW));
    const [use] = identityUse(fleet, 1000, calendar);
    expect(use.tokens).toEqual([
      { owner: "user", steady: 3, peak: 5, quota: 50 },
      { owner: "account", steady: 1, peak: 1, quota: 500 },
    ]);
  });

  it("above the quota on the busiest rotation day is an error", () => {
    const stacks = Object.fromEntries(
      Array.from({ length: 50 }, (_, index) => [
        `s${index}`,
        stackKeys(`s${index}`, rotating(90, index)),
      ]),
    );
    const report = buildFleetReport(members(stacks), { recordsPerZone: 10, now: NOW });
    expect(report.errors).toEqual([
      expect.stringMatching(
        /^identity user: its stacks hold 50 user token\(s\), 51 on the busiest rotation day, above Cloudflare's quota of 50/,
      ),
    ]);
  });
});

describe("the rotation calendar", () => {
  it("shows the next rotation and expiry the stack's token has", () => {
    const [hel1] = enabled({ hel1: stackKeys("hel1", { tokenRotationDays: 90 }) });
    const entry = calendarEntry(hel1, NOW);
    const spec = tokenSpec(hel1.settings, "hel1", NOW);
    expect(entry.nextRotation).toBe(spec.nextRotation?.slice(0, 10));
    expect(entry.expiresOn).toBe(spec.expiresOn);
    expect(entry.rotationsWithinHorizon[0]).toBe(entry.nextRotation);
    // every 90 days within the next 365: 4 or 5 rotations
    const days = entry.rotationsWithinHorizon.map((day) => Date.parse(day) / 86_400_000);
    expect(days.length).toBeGreaterThanOrEqual(4);
    expect(days.slice(1).map((day, index) => day - days[index])).toEqual(
      Array(days.length - 1).fill(90),
    );
  });

  it("finds stacks of one identity that rotate on the same days, and an offset that separates them", () => {
    const fleet = enabled({
      hel1: stackKeys("hel1", { tokenRotationDays: 30, tokenRotationOffsetDays: 4 }),
      fsn1: stackKeys("fsn1", { tokenRotationDays: 30, tokenRotationOffsetDays: 4 }),
      other: stackKeys("other", {
        tokenRotationDays: 30,
        tokenRotationOffsetDays: 4,
        cloudflareIdentity: "other-user",
      }),
    });
    const calendar = fleet.map((member) => calendarEntry(member, NOW));
    const [clash, ...more] = rotationClashes(calendar, fleet, NOW);
    expect(more).toEqual([]);
    expect(clash.identity).toBe("user");
    expect(clash.stacks).toEqual(["hel1", "fsn1"]);
    expect(clash.days).toEqual(calendar[0].rotationsWithinHorizon);
    expect(clash.suggestion?.stack).toBe("fsn1");
    const moved = enabled({
      fsn1: stackKeys("fsn1", {
        tokenRotationDays: 30,
        tokenRotationOffsetDays: clash.suggestion?.offsetDays,
      }),
    });
    const movedDays = calendarEntry(moved[0], NOW).rotationsWithinHorizon;
    expect(movedDays.filter((day) => calendar[0].rotationsWithinHorizon.includes(day))).toEqual([]);
  });

  it("warns in the report, naming the days and the offset to set", () => {
    const report = buildFleetReport(
      members({
        hel1: stackKeys("hel1", {
          ...own("hel1"),
          tokenRotationDays: 30,
          tokenRotationOffsetDays: 4,
        }),
        fsn1: stackKeys("fsn1", {
          ...own("fsn1"),
          tokenRotationDays: 30,
          tokenRotationOffsetDays: 4,
        }),
      }),
      { recordsPerZone: 10, now: NOW },
    );
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^identity user: stacks hel1, fsn1 rotate their tokens on the same day \(\d{4}-\d\d-\d\d, \d{4}-\d\d-\d\d, \d{4}-\d\d-\d\d, …: 1[23] day\(s\) in the next year\), .*; e\.g\. set external-dns:tokenRotationOffsetDays to \d+ on fsn1/,
      ),
    ]);
  });
});

describe("the report", () => {
  it("lists every stack, with the errors of invalid ones and the owner conflicts", () => {
    const report = buildFleetReport(
      members({
        hel1: stackKeys("vanixiets-cluster"),
        fsn1: stackKeys("vanixiets-cluster"),
        off: { enabled: false },
        broken: { zones: ["example.com"], sopsAgeRecipients: [AGE_KEY] },
      }),
      { recordsPerZone: 1000, now: NOW },
    );
    expect(report.stacks.map(({ stack, status }) => `${stack} ${status}`)).toEqual([
      "hel1 enabled",
      "fsn1 enabled",
      "off disabled",
      "broken invalid",
    ]);
    expect(report.errors).toEqual([
      "broken: external-dns:txtOwnerId: required when external-dns is enabled",
      expect.stringMatching(
        /^owner ID "vanixiets-cluster" is used by stacks hel1 and fsn1 on zone example\.com: /,
      ),
    ]);
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^stacks hel1 and fsn1 both admit names at or under example\.com in zone example\.com: /,
      ),
    ]);
  });
});
