/**
 * The Cloudflare stand-in's data model (accounts, zones, permission groups,
 * tokens, DNS records) and the accounts, zones and groups it starts with.
 */

/** Path prefix of every route, as in `https://api.cloudflare.com/client/v4`. */
export const API_PREFIX = "/client/v4";
/** Scope of zone-level permission groups and prefix of zone resource keys. */
export const ZONE_SCOPE = "com.cloudflare.api.account.zone";
export const ACCOUNT_SCOPE = "com.cloudflare.api.account";

// ---------------------------------------------------------------------------
// Data model
// ---------------------------------------------------------------------------

/** What a permission group lets a token do in the stand-in (zone-scoped groups only). */
export type Capability = "zone.read" | "dns.read" | "dns.edit";

export interface Account {
  id: string;
  name: string;
}

export interface Zone {
  id: string;
  name: string;
  accountId: string;
  status: "active" | "pending";
  type: "full" | "partial" | "secondary";
  /**
   * Free (default, as DEFAULT_ZONES are) or a paid plan. external-dns reads
   * plan.is_subscribed to allow comments over 100 characters; batches are
   * limited by plan (records.ts).
   */
  paidPlan: boolean;
  createdOn: string;
}

export interface PermissionGroup {
  id: string;
  name: string;
  scopes: string[];
  /** What the group grants on the zones of a policy; never serialized. */
  grants: Capability[];
}

export interface TokenPolicy {
  id: string;
  effect: "allow" | "deny";
  permission_groups: { id: string }[];
  /** Resource keys (`com.cloudflare.api.account.zone.<id>`) to "*", or nested by account. */
  resources: Record<string, unknown>;
}

export interface TokenCondition {
  request_ip?: { in?: string[]; not_in?: string[] };
}

export type TokenOwner = { kind: "user" } | { kind: "account"; accountId: string };

/**
 * The API's token statuses ("active", "disabled", "expired": the provider's
 * schema, terraform-provider-cloudflare@v0.0.0-20260824180050-4f360d592a7d/
 * internal/services/api_token/schema.go:131), and the one Cloudflare gives a
 * token it found exposed, which the provider drops from state on read so that
 * the next apply mints a new one (api_token/resource.go:182-194).
 */
export const REVOKED = "revoked (exposed)";
export type TokenStatus = "active" | "disabled" | "expired" | typeof REVOKED;

/** A token as the state holds it, without its value. */
export interface TokenView {
  id: string;
  owner: TokenOwner;
  name: string;
  /** The stored status; `effectiveStatus` says "expired" once expires_on has passed. */
  status: TokenStatus;
  effectiveStatus: TokenStatus;
  policies: TokenPolicy[];
  condition?: TokenCondition;
  expiresOn?: string;
  notBefore?: string;
  issuedOn: string;
  modifiedOn: string;
  lastUsedOn?: string;
}

export type StoredToken = Omit<TokenView, "effectiveStatus">;

export interface DnsRecord {
  id: string;
  zoneId: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment: string | null;
  tags: string[];
  /** Only for MX, SRV and URI records. */
  priority?: number;
  createdOn: string;
  modifiedOn: string;
}

/** A record to seed: name relative to the zone or absolute; the rest defaults. */
export interface SeedRecord {
  type: string;
  name: string;
  content: string;
  ttl?: number;
  proxied?: boolean;
  comment?: string | null;
  tags?: string[];
  priority?: number;
  id?: string;
}

// ---------------------------------------------------------------------------
// Seed data
// ---------------------------------------------------------------------------

export const DEFAULT_ACCOUNT: Account = {
  id: "0c1a8c7f7e0b4c9a9d1f2e3a4b5c6d7e",
  name: "Stand-in Account",
};

/** example.com's ID is the one in Cloudflare's API reference. */
export const DEFAULT_ZONES: ReadonlyArray<Pick<Zone, "id" | "name">> = [
  { id: "023e105f4ecef8ad9ca31a8372d0c353", name: "example.com" },
  { id: "5e1c1a1f43e04c1d8b2ea1a6f3b3c4d5", name: "example.org" },
  { id: "9f86d081884c7d659a2feaa0c55ad015", name: "example.net" },
];

/** Cloudflare's zone-scoped "DNS Write" and "Zone Read" permission groups: what external-dns's token holds. */
export const DNS_WRITE_GROUP_ID = "4755a26eedb94da69e1066d98aa820be";
export const ZONE_READ_GROUP_ID = "c8fed203ed3043cba015a93ad1616f1f";

/**
 * Real Cloudflare groups (IDs and scopes as in Cloudflare's catalog), plus:
 * a "DNS Write" in the account scope, as Cloudflare has same-named groups in
 * different scopes, so a missing scope filter shows; and two decoys that only
 * exist here, whose names contain a wanted name, so that substring matches
 * reach the program's exact-name picking.
 */
export const DEFAULT_PERMISSION_GROUPS: readonly PermissionGroup[] = [
  zoneGroup(DNS_WRITE_GROUP_ID, "DNS Write", ["dns.read", "dns.edit"]),
  zoneGroup("82e64a83756745bbbb1c9c2701bf816b", "DNS Read", ["dns.read"]),
  zoneGroup(ZONE_READ_GROUP_ID, "Zone Read", ["zone.read"]),
  zoneGroup("e6d2666161e84845a636613608cee8d5", "Zone Write", ["zone.read"]),
  zoneGroup("517b21aee92c4d89936c976ba6e4be55", "Zone Settings Read", []),
  zoneGroup("c4df38be41c247b3b4b7702e76eadae0", "Zone DNS Settings Write", []),
  zoneGroup("d5b1e2f3a4c5469788990a1b2c3d4e5f", "DNS Write (stand-in decoy)", []),
  zoneGroup("a0b1c2d3e4f5461788990a1b2c3d4e6f", "Zone Read (stand-in decoy)", []),
  {
    id: "f1e2d3c4b5a6479889706a5b4c3d2e1f",
    name: "DNS Write",
    scopes: [ACCOUNT_SCOPE],
    grants: [],
  },
  {
    id: "da6d2d6f2ec8442eaadda60d13f42bca",
    name: "DNS Firewall Write",
    scopes: [ACCOUNT_SCOPE],
    grants: [],
  },
  {
    id: "5bc3f8b21c554832afc660159ab75fa4",
    name: "Account API Tokens Write",
    scopes: [ACCOUNT_SCOPE],
    grants: [],
  },
];

function zoneGroup(id: string, name: string, grants: Capability[]): PermissionGroup {
  return { id, name, scopes: [ZONE_SCOPE], grants };
}
