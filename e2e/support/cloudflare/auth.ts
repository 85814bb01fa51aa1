/** Who may do what: the zone capabilities a token's policies grant, and its IP and validity checks. */
import { BlockList, isIP } from "node:net";
import type { Context } from "./context";
import { ApiError, isObject } from "./errors";
import {
  ACCOUNT_SCOPE,
  type Capability,
  type StoredToken,
  type TokenCondition,
  ZONE_SCOPE,
  type Zone,
} from "./model";
import type { RequestKind } from "./requestLog";
import type { CloudflareState } from "./state";

// ---------------------------------------------------------------------------
// Callers and authorization
// ---------------------------------------------------------------------------

/** What the caller may do on one zone. The bootstrap token reads every zone, and no DNS. */
export function capabilities(ctx: Context, zone: Zone): Set<Capability> {
  if (ctx.caller.kind === "bootstrap") return new Set(["zone.read"]);
  const allowed = new Set<Capability>();
  const denied = new Set<Capability>();
  for (const policy of ctx.caller.token.policies) {
    if (!coversZone(policy.resources, zone)) continue;
    const target = policy.effect === "deny" ? denied : allowed;
    for (const { id } of policy.permission_groups) {
      const group = ctx.state.permissionGroups.find((candidate) => candidate.id === id);
      for (const capability of group?.grants ?? []) target.add(capability);
    }
  }
  for (const capability of denied) allowed.delete(capability);
  return allowed;
}

/** Whether policy resources name the zone: by id, all zones, or all zones of its account. */
function coversZone(resources: Record<string, unknown>, zone: Zone): boolean {
  return Object.entries(resources).some(([key, value]) => {
    if (key === `${ZONE_SCOPE}.${zone.id}` || key === `${ZONE_SCOPE}.*`) return true;
    const isAccountKey =
      key === `${ACCOUNT_SCOPE}.${zone.accountId}` || key === `${ACCOUNT_SCOPE}.*`;
    return isAccountKey && isObject(value) && coversZone(value, zone);
  });
}

/**
 * The zone, if the caller may use it for `capability`. A zone the caller cannot
 * see and one that does not exist get the same 403, as for a scoped token.
 */
export function authorizedZone(ctx: Context, capability: Capability): Zone {
  const zone = ctx.state.zone(ctx.params.zoneId);
  if (zone && capabilities(ctx, zone).has(capability)) return zone;
  if (capability === "zone.read")
    throw new ApiError(403, 9109, "Unauthorized to access requested resource");
  throw new ApiError(403, 10000, "Authentication error");
}

export function requireTokenAdmin(ctx: Context): void {
  if (ctx.caller.kind !== "bootstrap") throw new ApiError(403, 10000, "Authentication error");
}

/** A CIDR list matcher (bare addresses count as /32 or /128). */
function cidrMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split("/");
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 4 ? "ipv4" : "ipv6";
    list.addSubnet(address, prefix ? Number(prefix) : family === 4 ? 32 : 128, type);
  }
  return (ip) => list.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4");
}

function ipAllowed(condition: TokenCondition | undefined, ip: string): boolean {
  const inList = condition?.request_ip?.in ?? [];
  const notIn = condition?.request_ip?.not_in ?? [];
  if (inList.length > 0 && !cidrMatcher(inList)(ip)) return false;
  return !(notIn.length > 0 && cidrMatcher(notIn)(ip));
}

/**
 * Checks a minted token before any route runs: client IP always; status and
 * validity window except on verify, which reports the status instead.
 */
export function checkTokenUsable(
  state: CloudflareState,
  token: StoredToken,
  clientIp: string,
  kind: RequestKind,
) {
  if (!ipAllowed(token.condition, clientIp))
    throw new ApiError(403, 9109, `Cannot use the access token from location: ${clientIp}`);
  if (kind === "tokens.verify") return;
  const notYet = token.notBefore && Date.parse(token.notBefore) > state.now().getTime();
  if (state.effectiveStatus(token) !== "active" || notYet)
    throw new ApiError(403, 9109, "Invalid access token");
}
