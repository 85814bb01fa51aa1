/**
 * The least-privilege policy of the Cloudflare token external-dns uses.
 */
import { describe, expect, it } from "vitest";
import {
  permissionGroupId,
  TOKEN_PERMISSION_GROUPS,
  tokenCondition,
  tokenPolicies,
  ZONE_PERMISSION_SCOPE,
  zoneResourceKey,
} from "../components/tokenPolicy";

const ZONE_A = "023e105f4ecef8ad9ca31a8372d0c353";
const ZONE_B = "9a7806061c88ada191ed06f989cc3dac";
const ZONE_C = "5f2a0c1b9e8d7c6b5a4f3e2d1c0b9a88";
const DNS_WRITE = "4755a26eedb94da69e1066d98aa820be";
const ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f";

/** The parsed `resources` of a policy: Cloudflare wants a JSON string. */
function resourcesOf(policy: { resources: unknown }): Record<string, unknown> {
  expect(typeof policy.resources).toBe("string");
  return JSON.parse(policy.resources as string) as Record<string, unknown>;
}

describe("tokenPolicies", () => {
  it("is exactly one allow policy", () => {
    const policies = tokenPolicies([ZONE_A], [DNS_WRITE, ZONE_READ]);
    expect(policies).toHaveLength(1);
    expect(policies[0].effect).toBe("allow");
    expect(Object.keys(policies[0]).sort()).toEqual(["effect", "permissionGroups", "resources"]);
  });

  it("grants the permission groups by id", () => {
    const [policy] = tokenPolicies([ZONE_A], [DNS_WRITE, ZONE_READ]);
    expect(policy.permissionGroups).toEqual([{ id: DNS_WRITE }, { id: ZONE_READ }]);
  });

  it("scopes the token to exactly the given zones, one key each", () => {
    const [policy] = tokenPolicies([ZONE_A, ZONE_B], [DNS_WRITE, ZONE_READ]);
    expect(resourcesOf(policy)).toEqual({
      [`com.cloudflare.api.account.zone.${ZONE_A}`]: "*",
      [`com.cloudflare.api.account.zone.${ZONE_B}`]: "*",
    });
  });

  it("has no account-wide or all-zones key", () => {
    const [policy] = tokenPolicies([ZONE_A, ZONE_B, ZONE_C], [DNS_WRITE, ZONE_READ]);
    const keys = Object.keys(resourcesOf(policy));
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      expect(key).toMatch(/^com\.cloudflare\.api\.account\.zone\.[0-9a-f]{32}$/);
    }
    expect(keys).not.toContain("com.cloudflare.api.account.zone.*");
    expect(
      keys.some((key) => key.startsWith("com.cloudflare.api.account.") && !key.includes(".zone.")),
    ).toBe(false);
    expect(Object.values(resourcesOf(policy))).toEqual(["*", "*", "*"]);
  });

  it("is the same for any input order, so the token does not churn", () => {
    const sorted = tokenPolicies([ZONE_A, ZONE_B, ZONE_C], [DNS_WRITE, ZONE_READ]);
    const shuffled = tokenPolicies([ZONE_C, ZONE_A, ZONE_B], [ZONE_READ, DNS_WRITE]);
    expect(shuffled).toEqual(sorted);
    // The resources string itself must be identical, not just equal once parsed.
    expect(shuffled[0].resources).toBe(sorted[0].resources);
    expect(Object.keys(resourcesOf(shuffled[0]))).toEqual(
      [ZONE_A, ZONE_B, ZONE_C].sort().map(zoneResourceKey),
    );
    expect(shuffled[0].permissionGroups).toEqual(
      [DNS_WRITE, ZONE_READ].sort().map((id) => ({ id })),
    );
  });

  it("does not reorder the caller's arrays", () => {
    const zones = [ZONE_C, ZONE_A];
    const groups = [ZONE_READ, DNS_WRITE];
    tokenPolicies(zones, groups);
    expect(zones).toEqual([ZONE_C, ZONE_A]);
    expect(groups).toEqual([ZONE_READ, DNS_WRITE]);
  });
});

describe("zoneResourceKey", () => {
  it("is the zone scope and the zone id", () => {
    expect(zoneResourceKey(ZONE_A)).toBe(`com.cloudflare.api.account.zone.${ZONE_A}`);
  });
});

describe("tokenCondition", () => {
  it("is undefined without CIDRs", () => {
    expect(tokenCondition([])).toBeUndefined();
  });

  it("allows exactly the given CIDRs, and denies none", () => {
    const cidrs = ["203.0.113.7/32", "2001:db8::/48"];
    const condition = tokenCondition(cidrs);
    expect(condition).toEqual({ requestIp: { ins: ["203.0.113.7/32", "2001:db8::/48"] } });
    expect(condition?.requestIp).not.toHaveProperty("notIns");
  });
});

describe("permissionGroupId", () => {
  const groups = [
    { id: "id-dns-read", name: "DNS Read" },
    { id: "id-dns-write", name: "DNS Write" },
    { id: "id-zone-read-legacy", name: "Zone Read (legacy)" },
    { id: "id-zone-read", name: "Zone Read" },
    { id: "id-zone-settings-read", name: "Zone Settings Read" },
  ];

  it("picks the exact name among decoys", () => {
    expect(permissionGroupId(groups, "DNS Write")).toBe("id-dns-write");
    expect(permissionGroupId(groups, "DNS Read")).toBe("id-dns-read");
    expect(permissionGroupId(groups, "Zone Read")).toBe("id-zone-read");
    expect(permissionGroupId(groups, "Zone Read (legacy)")).toBe("id-zone-read-legacy");
  });

  it("does not match by substring or case", () => {
    expect(() => permissionGroupId(groups, "Zone")).toThrow(/"Zone"/);
    expect(() => permissionGroupId(groups, "dns write")).toThrow(/"dns write"/);
  });

  it("throws naming the group when none matches", () => {
    expect(() => permissionGroupId(groups, "Workers Scripts Write")).toThrow(
      /exactly one Cloudflare permission group named "Workers Scripts Write".*found 0/,
    );
    expect(() => permissionGroupId([], "DNS Write")).toThrow(/"DNS Write".*found 0/);
  });

  it("throws naming the group when more than one matches", () => {
    const twice = [...groups, { id: "id-dns-write-2", name: "DNS Write" }];
    expect(() => permissionGroupId(twice, "DNS Write")).toThrow(/"DNS Write".*found 2/);
  });

  it("finds every group the token needs", () => {
    expect(TOKEN_PERMISSION_GROUPS.map((name) => permissionGroupId(groups, name))).toEqual([
      "id-dns-write",
      "id-zone-read",
    ]);
  });
});

describe("constants", () => {
  it("needs DNS Write and Zone Read, nothing more", () => {
    expect([...TOKEN_PERMISSION_GROUPS]).toEqual(["DNS Write", "Zone Read"]);
  });

  it("scopes permissions to zones", () => {
    expect(ZONE_PERMISSION_SCOPE).toBe("com.cloudflare.api.account.zone");
  });
});
