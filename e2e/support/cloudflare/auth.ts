/**
 * Who presented which token and may do what: Cloudflare's answers refusing a
 * token, the zone capabilities a token's policies grant, its IP and validity checks.
 */
import { BlockList, isIP } from "node:net";
import type { Caller, Context } from "./context";
import { ApiError, isObject, timestamp } from "./errors";
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

// ---------------------------------------------------------------------------
// Authentication: the presented token, and Cloudflare's answers refusing it
// ---------------------------------------------------------------------------

/**
 * A token value's shape: 40 to 80 of [0-9A-Za-z_-], what the provider accepts
 * (terraform-provider-cloudflare@v0.0.0-20260824180050-4f360d592a7d/internal/
 * provider.go:362). Cloudflare refuses a value of another shape as malformed:
 * a 37-character Global API Key sent as a Bearer token
 * (kissgyorgy/cloudflare-dyndns#40), a token with a trailing comma
 * (ddclient/ddclient#361).
 */
const TOKEN_VALUE = /^[0-9A-Za-z_-]{40,80}$/;

/** The Authorization header's token: none, one of the wrong shape, or a well-formed value. */
export type Presented =
  | { kind: "missing" }
  | { kind: "malformed" }
  | { kind: "value"; value: string };

export function presentedToken(header: string | undefined): Presented {
  if (header === undefined) return { kind: "missing" };
  const value = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  return value && TOKEN_VALUE.test(value) ? { kind: "value", value } : { kind: "malformed" };
}

/**
 * No Authorization header. On verify, 1001 'Missing "Authorization" header'
 * (kissgyorgy/cloudflare-dyndns#40, verify sent X-Auth-* headers only; the
 * issue does not show the status: 400 as elsewhere). Elsewhere 400, 9106
 * (cloudflare/cloudflare-python#2678: a DNS record list sent without credentials).
 */
function missingToken(kind: RequestKind): ApiError {
  if (kind === "tokens.verify") return new ApiError(400, 1001, 'Missing "Authorization" header');
  return new ApiError(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
}

/**
 * A malformed Authorization header, on every route: 400, 6003 with 6111 in its
 * error_chain (ddclient/ddclient#361, GET /zones, the raw HTTP answer;
 * kissgyorgy/cloudflare-dyndns#40, the same body from /user/tokens/verify;
 * jeessy2/ddns-go#81, 400 from /zones).
 */
function malformedToken(): ApiError {
  return new ApiError(400, 6003, "Invalid request headers", {
    chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
  });
}

/**
 * A well-formed token Cloudflare will not take: unknown (never issued, or
 * deleted), revoked, disabled, expired or not yet valid. The answer depends on
 * the route:
 * - zone reads: 403, 9109 "Invalid access token" (khuedoan/homelab#108:
 *   external-dns listing zones, "HTTP status 403: Invalid access token";
 *   home-assistant/addons#3243: "9109 Invalid access token" finding a zone id);
 * - DNS records: 401, 10000 "Authentication error". Seen in public notes of
 *   live answers, next to 403/9109 for the same token's zone read; found by
 *   exact-string search, whose results do not name the repository: no
 *   citable issue was found;
 * - verify: 401, 1000 "Invalid API Token" (jackluson/sync-your-cookie#47: 401
 *   and "Invalid API Token" from /accounts/{id}/tokens/verify;
 *   sendmebits/ghostmail-ios#2: the body, code 1000);
 * - token and permission group routes: no recorded answer was found; they
 *   keep verify's answer, the stand-in's answer before.
 */
export function refusedToken(kind: RequestKind): ApiError {
  if (kind === "zones.list" || kind === "zones.get")
    return new ApiError(403, 9109, "Invalid access token");
  if (kind.startsWith("dns_records.")) return new ApiError(401, 10000, "Authentication error");
  return new ApiError(401, 1000, "Invalid API Token");
}

/** The caller, or Cloudflare's answer for a missing, malformed, unknown or unusable token. */
export function authenticate(
  state: CloudflareState,
  header: string | undefined,
  clientIp: string,
  kind: RequestKind,
): Caller {
  const presented = presentedToken(header);
  if (presented.kind === "missing") throw missingToken(kind);
  if (presented.kind === "malformed") throw malformedToken();
  const id = state.tokenIdForValue(presented.value);
  if (id === "bootstrap") return { kind: "bootstrap" };
  const token = id && state.storedToken(id);
  if (!token) throw refusedToken(kind);
  checkTokenUsable(state, token, clientIp, kind);
  token.lastUsedOn = timestamp(state.now());
  return { kind: "token", token };
}

/**
 * Checks a minted token before any route runs: client IP always; status and
 * validity window except on verify, which reports the status instead.
 * Outside `condition.request_ip`: 403, 9109 "Cannot use the access token from
 * location: <ip>" (code and message as listed at
 * https://feedthebees.beemaster.ca/Documentation/CloudflareApiAuthentication;
 * 403 as for 9109 on zone reads). That verify answers it too is the stand-in's
 * choice: no recorded answer says.
 */
function checkTokenUsable(
  state: CloudflareState,
  token: StoredToken,
  clientIp: string,
  kind: RequestKind,
) {
  if (!ipAllowed(token.condition, clientIp))
    throw new ApiError(403, 9109, `Cannot use the access token from location: ${clientIp}`);
  if (kind === "tokens.verify") return;
  const notYet = token.notBefore && Date.parse(token.notBefore) > state.now().getTime();
  if (state.effectiveStatus(token) !== "active" || notYet) throw refusedToken(kind);
}
