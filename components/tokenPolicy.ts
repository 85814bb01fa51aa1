/**
 * The least-privilege policy of the Cloudflare token external-dns uses:
 * edit DNS records and read zones, on exactly the configured zones.
 */
import type * as cloudflare from "@pulumi/cloudflare";

/** Permission groups external-dns needs, by their Cloudflare names. */
export const TOKEN_PERMISSION_GROUPS = ["DNS Write", "Zone Read"] as const;

/** Scope of zone-level permission groups in Cloudflare's API. */
export const ZONE_PERMISSION_SCOPE = "com.cloudflare.api.account.zone";

/** The policy resource key that grants a permission on one zone. */
export function zoneResourceKey(zoneId: string): string {
  return `${ZONE_PERMISSION_SCOPE}.${zoneId}`;
}

/** The zone ID in a policy resource key made by `zoneResourceKey`. */
export function zoneIdOfResourceKey(key: string): string {
  const prefix = `${ZONE_PERMISSION_SCOPE}.`;
  if (!key.startsWith(prefix)) throw new Error(`not a zone resource key: ${key}`);
  return key.slice(prefix.length);
}

/** One allow policy: the given permission groups on exactly these zones. */
export function tokenPolicies(
  zoneIds: readonly string[],
  permissionGroupIds: readonly string[],
): cloudflare.types.input.ApiTokenPolicy[] {
  const resources = Object.fromEntries([...zoneIds].sort().map((id) => [zoneResourceKey(id), "*"]));
  return [
    {
      effect: "allow",
      permissionGroups: [...permissionGroupIds].sort().map((id) => ({ id })),
      resources: JSON.stringify(resources),
    },
  ];
}

/** Restricts the token to client IPs in `cidrs`; no condition when the list is empty. */
export function tokenCondition(
  cidrs: readonly string[],
): cloudflare.types.input.ApiTokenCondition | undefined {
  return cidrs.length === 0 ? undefined : { requestIp: { ins: [...cidrs] } };
}

interface PermissionGroup {
  id: string;
  name: string;
}

/**
 * The ID of the permission group called `name`. Cloudflare's name filter matches
 * substrings, so the exact name is picked here, and anything else is an error.
 */
export function permissionGroupId(groups: readonly PermissionGroup[], name: string): string {
  const matches = groups.filter((group) => group.name === name);
  if (matches.length !== 1) {
    const found = groups.map((group) => group.name).join(", ") || "none";
    throw new Error(
      `expected exactly one Cloudflare permission group named "${name}" in scope ${ZONE_PERMISSION_SCOPE}, found ${matches.length} (candidates: ${found}); ` +
        "check that the bootstrap token (cloudflare:apiToken) may read permission groups",
    );
  }
  return matches[0].id;
}
