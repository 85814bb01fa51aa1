/**
 * A loopback stand-in for Cloudflare's v4 API, for end-to-end tests. It serves
 * the three clients of this project, with routes, query parameters and bodies
 * taken from their source:
 *
 * - the Pulumi Cloudflare provider (terraform-provider-cloudflare 5.x on
 *   cloudflare-go v6/v7): user and account tokens, the zone data source, and
 *   the permission group list data sources;
 * - external-dns 0.21 (cloudflare-go v5.1.0): zone by ID, DNS records listed
 *   page by page, batch writes with single-record fallbacks;
 * - `verify/cloudflare.ts`: token verify and TXT record lists.
 *
 * Clients reach it at `url` (`http://127.0.0.1:PORT/client/v4`), which both Go
 * clients take as their base URL: `cloudflare:baseUrl` for the provider,
 * `CLOUDFLARE_BASE_URL` for external-dns. Token values never appear in the
 * request log or in the state views; read one explicitly with
 * `state.tokenValue(id)` or `bootstrapToken`.
 *
 * It refuses a missing, malformed, unknown, revoked, expired or IP-restricted
 * token with the answer Cloudflare gives on that route (cloudflare/auth.ts),
 * holds to Cloudflare's rate limit (cloudflare/limits.ts, `setRateLimit`) and
 * batch limit per zone plan (cloudflare/records.ts), and answers with faults a
 * test injects (cloudflare/faults.ts, `injectFault`).
 */
// The modules are in ./cloudflare/, one per part of the stand-in; this index re-exports its API.
export { ApiError } from "./cloudflare/errors";
export type { Fault, FaultRule, InjectedFault } from "./cloudflare/faults";
export { CLOUDFLARE_RATE_LIMIT, type RateLimit } from "./cloudflare/limits";
export {
  type Account,
  API_PREFIX,
  type Capability,
  DEFAULT_ACCOUNT,
  DEFAULT_PERMISSION_GROUPS,
  DEFAULT_ZONES,
  DNS_WRITE_GROUP_ID,
  type DnsRecord,
  type PermissionGroup,
  REVOKED,
  type SeedRecord,
  type TokenCondition,
  type TokenOwner,
  type TokenPolicy,
  type TokenStatus,
  type TokenView,
  ZONE_READ_GROUP_ID,
  ZONE_SCOPE,
  type Zone,
} from "./cloudflare/model";
export { batchLimit } from "./cloudflare/records";
export {
  DNS_WRITE_KINDS,
  type RecordedRequest,
  type RequestFilter,
  type RequestKind,
  RequestLog,
} from "./cloudflare/requestLog";
export { type CloudflareApi, startCloudflareApi } from "./cloudflare/server";
export { type CloudflareApiOptions, CloudflareState } from "./cloudflare/state";
