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
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, BlockList, isIP, type Socket } from "node:net";

/** Path prefix of every route, as in `https://api.cloudflare.com/client/v4`. */
export const API_PREFIX = "/client/v4";
/** Scope of zone-level permission groups and prefix of zone resource keys. */
export const ZONE_SCOPE = "com.cloudflare.api.account.zone";
const ACCOUNT_SCOPE = "com.cloudflare.api.account";

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
  /** external-dns reads plan.is_subscribed to allow comments over 100 characters. */
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

/** A token as the state holds it, without its value. */
export interface TokenView {
  id: string;
  owner: TokenOwner;
  name: string;
  /** The stored status; `effectiveStatus` says "expired" once expires_on has passed. */
  status: "active" | "disabled" | "expired";
  effectiveStatus: "active" | "disabled" | "expired";
  policies: TokenPolicy[];
  condition?: TokenCondition;
  expiresOn?: string;
  notBefore?: string;
  issuedOn: string;
  modifiedOn: string;
  lastUsedOn?: string;
}

type StoredToken = Omit<TokenView, "effectiveStatus">;

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

// ---------------------------------------------------------------------------
// Errors and helpers
// ---------------------------------------------------------------------------

/** An answer in Cloudflare's error envelope. Codes follow what Cloudflare is seen to send. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const PROXIABLE_TYPES = new Set(["A", "AAAA", "CNAME"]);
const PRIORITY_TYPES = new Set(["MX", "SRV", "URI"]);
const RECORD_TYPES = new Set([
  ...["A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS"],
  ...["OPENPGPKEY", "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI"],
]);

function hexId(): string {
  return randomBytes(16).toString("hex");
}

/** 40 characters of [A-Za-z0-9_-], which the provider's api_token validator accepts. */
function tokenValue(): string {
  return randomBytes(30).toString("base64url");
}

/** RFC 3339 with whole seconds, the way Cloudflare writes timestamps. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function badRequest(message: string, code = 1001): ApiError {
  return new ApiError(400, code, message);
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

export interface CloudflareApiOptions {
  accounts?: Account[];
  /** Zones to seed; default DEFAULT_ZONES in the first account. */
  zones?: Array<Pick<Zone, "name"> & Partial<Zone>>;
  permissionGroups?: PermissionGroup[];
  /**
   * Value of the bootstrap token; default a random 40-character value. The
   * provider only accepts 40 to 80 characters of [0-9A-Za-z_-].
   */
  bootstrapToken?: string;
  /** Pretend every request comes from this IP (see `setClientIp`). */
  clientIp?: string;
  /** Clock for expiry and timestamps; default the real one. */
  now?: () => Date;
}

/** Accounts, zones, permission groups, tokens and DNS records. */
export class CloudflareState {
  readonly accounts: Account[];
  readonly zones: Zone[] = [];
  readonly permissionGroups: PermissionGroup[];
  /** ID of the bootstrap token (a user token with every permission the program needs). */
  readonly bootstrapTokenId = hexId();
  /** The stand-in's clock: the option's (or the real) clock, plus `shiftClock`'s shift. */
  readonly now: () => Date;
  #shiftMs = 0;
  readonly #tokens = new Map<string, StoredToken>();
  readonly #values = new Map<string, string>(); // token value -> token id
  readonly #idsToValues = new Map<string, string>();
  readonly #records = new Map<string, DnsRecord[]>();

  constructor(options: CloudflareApiOptions, bootstrapValue: string) {
    const clock = options.now ?? (() => new Date());
    this.now = () => new Date(clock().getTime() + this.#shiftMs);
    this.accounts = options.accounts ?? [DEFAULT_ACCOUNT];
    this.permissionGroups = options.permissionGroups ?? [...DEFAULT_PERMISSION_GROUPS];
    for (const zone of options.zones ?? DEFAULT_ZONES) this.addZone(zone);
    this.#values.set(bootstrapValue, this.bootstrapTokenId);
  }

  addZone(zone: Pick<Zone, "name"> & Partial<Zone>): Zone {
    const added: Zone = {
      id: zone.id ?? hexId(),
      name: zone.name.toLowerCase(),
      accountId: zone.accountId ?? this.accounts[0].id,
      status: zone.status ?? "active",
      type: zone.type ?? "full",
      paidPlan: zone.paidPlan ?? false,
      createdOn: zone.createdOn ?? timestamp(this.now()),
    };
    this.zones.push(added);
    this.#records.set(added.id, []);
    return added;
  }

  zone(id: string): Zone | undefined {
    return this.zones.find((zone) => zone.id === id);
  }

  zoneByName(name: string): Zone | undefined {
    return this.zones.find((zone) => zone.name === name.toLowerCase());
  }

  /** Runs the clock `ms` ahead of its source (e.g. with a program whose clock is shifted). */
  shiftClock(ms: number): void {
    this.#shiftMs = ms;
  }

  account(id: string): Account | undefined {
    return this.accounts.find((account) => account.id === id);
  }

  // --- tokens ---------------------------------------------------------------

  /**
   * A token as a person makes one for external-dns in the dashboard: DNS Write
   * and Zone Read on `zoneIds`, optionally IP-restricted.
   */
  mintDnsToken(
    name: string,
    zoneIds: readonly string[],
    condition?: TokenCondition,
  ): { id: string; value: string } {
    return this.mintToken({
      name,
      policies: [
        {
          effect: "allow",
          permission_groups: [{ id: DNS_WRITE_GROUP_ID }, { id: ZONE_READ_GROUP_ID }],
          resources: Object.fromEntries(zoneIds.map((id) => [`${ZONE_SCOPE}.${id}`, "*"])),
        },
      ],
      condition,
    });
  }

  /** Creates a token directly, as if through the API; returns its id and (secret) value. */
  mintToken(token: {
    owner?: TokenOwner;
    name: string;
    policies: Array<Omit<TokenPolicy, "id"> & { id?: string }>;
    condition?: TokenCondition;
    expiresOn?: string;
    notBefore?: string;
    status?: StoredToken["status"];
  }): { id: string; value: string } {
    const now = timestamp(this.now());
    const stored: StoredToken = {
      id: hexId(),
      owner: token.owner ?? { kind: "user" },
      name: token.name,
      status: token.status ?? "active",
      policies: token.policies.map((policy) => ({ ...policy, id: policy.id ?? hexId() })),
      condition: token.condition,
      expiresOn: token.expiresOn,
      notBefore: token.notBefore,
      issuedOn: now,
      modifiedOn: now,
    };
    const value = tokenValue();
    this.#tokens.set(stored.id, stored);
    this.#values.set(value, stored.id);
    this.#idsToValues.set(stored.id, value);
    return { id: stored.id, value };
  }

  /** Every token but the bootstrap one, without values. */
  tokens(): TokenView[] {
    return [...this.#tokens.values()].map((token) => this.#view(token));
  }

  token(id: string): TokenView | undefined {
    const stored = this.#tokens.get(id);
    return stored && this.#view(stored);
  }

  /** The secret value of a minted token, for tests that hand it to a client. */
  tokenValue(id: string): string | undefined {
    return this.#idsToValues.get(id);
  }

  /** Changes a token in place, e.g. to expire it or restrict its client IPs. */
  updateToken(
    id: string,
    change: Partial<
      Pick<StoredToken, "name" | "status" | "policies" | "condition" | "expiresOn" | "notBefore">
    >,
  ): TokenView {
    const stored = this.#tokens.get(id);
    if (!stored) throw new Error(`no token ${id}`);
    Object.assign(stored, change, { modifiedOn: timestamp(this.now()) });
    return this.#view(stored);
  }

  deleteToken(id: string): boolean {
    const value = this.#idsToValues.get(id);
    if (value) this.#values.delete(value);
    this.#idsToValues.delete(id);
    return this.#tokens.delete(id);
  }

  /** The token id for a presented value: "bootstrap", a token id, or undefined. */
  tokenIdForValue(value: string): string | undefined {
    const id = this.#values.get(value);
    return id === this.bootstrapTokenId ? "bootstrap" : id;
  }

  /** Internal: the stored token, for the request handlers. */
  storedToken(id: string): StoredToken | undefined {
    return this.#tokens.get(id);
  }

  effectiveStatus(token: Pick<StoredToken, "status" | "expiresOn">): StoredToken["status"] {
    if (token.status !== "active") return token.status;
    if (token.expiresOn && Date.parse(token.expiresOn) <= this.now().getTime()) return "expired";
    return "active";
  }

  #view(token: StoredToken): TokenView {
    return structuredClone({ ...token, effectiveStatus: this.effectiveStatus(token) });
  }

  // --- DNS records ------------------------------------------------------------

  /** The zone's records, in creation order (the live array: treat as read-only). */
  records(zoneId: string): readonly DnsRecord[] {
    const records = this.#records.get(zoneId);
    if (!records) throw new Error(`no zone ${zoneId}`);
    return records;
  }

  /** The records named `name` (an FQDN) in the zones `zoneIds`. */
  recordsNamed(name: string, zoneIds: readonly string[]): DnsRecord[] {
    return zoneIds.flatMap((zoneId) =>
      this.records(zoneId).filter((record) => record.name === name),
    );
  }

  /** Adds records without validation, fast enough for zones with thousands of records. */
  seedRecords(zoneId: string, seeds: readonly SeedRecord[]): DnsRecord[] {
    const zone = this.zone(zoneId);
    if (!zone) throw new Error(`no zone ${zoneId}`);
    const now = timestamp(this.now());
    const added = seeds.map(
      (seed): DnsRecord => ({
        id: seed.id ?? hexId(),
        zoneId,
        type: seed.type,
        name: absoluteName(seed.name, zone.name),
        content: seed.content,
        ttl: seed.ttl ?? 1,
        proxied: seed.proxied ?? false,
        comment: seed.comment ?? null,
        tags: seed.tags ?? [],
        priority: PRIORITY_TYPES.has(seed.type) ? (seed.priority ?? 10) : undefined,
        createdOn: now,
        modifiedOn: now,
      }),
    );
    this.#records.get(zoneId)?.push(...added);
    return added;
  }

  /** Replaces a zone's records at once (how a batch commits). */
  replaceRecords(zoneId: string, records: DnsRecord[]): void {
    this.#records.set(zoneId, records);
  }
}

/** Cloudflare stores names as FQDNs: "@" is the apex, names outside the zone get it appended. */
function absoluteName(name: string, zoneName: string): string {
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (lower === "@" || lower === "") return zoneName;
  if (lower === zoneName || lower.endsWith(`.${zoneName}`)) return lower;
  return `${lower}.${zoneName}`;
}

// ---------------------------------------------------------------------------
// Request log
// ---------------------------------------------------------------------------

export type RequestKind =
  | "tokens.verify"
  | "tokens.list"
  | "tokens.create"
  | "tokens.get"
  | "tokens.update"
  | "tokens.delete"
  | "permission_groups.list"
  | "zones.list"
  | "zones.get"
  | "dns_records.list"
  | "dns_records.get"
  | "dns_records.create"
  | "dns_records.update"
  | "dns_records.patch"
  | "dns_records.delete"
  | "dns_records.batch"
  | "unknown";

/** Kinds that change DNS records. */
export const DNS_WRITE_KINDS: ReadonlySet<RequestKind> = new Set([
  "dns_records.create",
  "dns_records.update",
  "dns_records.patch",
  "dns_records.delete",
  "dns_records.batch",
]);

export interface RecordedRequest {
  method: string;
  /** Path below API_PREFIX, e.g. "/zones/<id>/dns_records"; the full path if outside it. */
  path: string;
  query: Record<string, string | string[]>;
  kind: RequestKind;
  zoneId?: string;
  /** "bootstrap", a minted token's id, "unknown" (a value nobody issued) or "none". */
  tokenId: string;
  /** For DNS writes: the names (FQDNs) of the records the request asked to change, refused or not. */
  recordNames?: string[];
  status: number;
  /** Epoch milliseconds when the request arrived. */
  time: number;
}

export type RequestFilter =
  | Partial<Pick<RecordedRequest, "kind" | "zoneId" | "tokenId" | "method" | "status">>
  | ((request: RecordedRequest) => boolean);

/** Every request the stand-in answered, in order. Holds no token values. */
export class RequestLog {
  readonly #entries: RecordedRequest[] = [];

  get all(): readonly RecordedRequest[] {
    return this.#entries;
  }

  add(entry: RecordedRequest): void {
    this.#entries.push(entry);
  }

  filter(filter: RequestFilter = {}): RecordedRequest[] {
    if (typeof filter === "function") return this.#entries.filter(filter);
    const wanted = Object.entries(filter);
    return this.#entries.filter((entry) =>
      wanted.every(([key, value]) => entry[key as keyof RecordedRequest] === value),
    );
  }

  count(filter: RequestFilter = {}): number {
    return this.filter(filter).length;
  }

  /** GET /zones/{id} requests (external-dns makes one per zone per reconcile). */
  zoneGets(zoneId?: string): number {
    return this.count(zoneId ? { kind: "zones.get", zoneId } : { kind: "zones.get" });
  }

  /** Pages of DNS record lists, empty last pages included. */
  recordListPages(zoneId?: string): number {
    return this.count(zoneId ? { kind: "dns_records.list", zoneId } : { kind: "dns_records.list" });
  }

  /** Requests to change DNS records, refused ones included (a batch counts once). */
  writes(zoneId?: string): number {
    return this.count(
      (entry) => DNS_WRITE_KINDS.has(entry.kind) && (!zoneId || entry.zoneId === zoneId),
    );
  }

  clear(): void {
    this.#entries.length = 0;
  }
}

// ---------------------------------------------------------------------------
// Callers and authorization
// ---------------------------------------------------------------------------

/** Who presented the token: the bootstrap token, or a minted one. */
type Caller = { kind: "bootstrap" } | { kind: "token"; token: StoredToken };

interface Context {
  state: CloudflareState;
  caller: Caller;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** Write handlers add the names of the records a request asks to change, before applying it. */
  touched: string[];
}

/** What the caller may do on one zone. The bootstrap token reads every zone, and no DNS. */
function capabilities(ctx: Context, zone: Zone): Set<Capability> {
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
function authorizedZone(ctx: Context, capability: Capability): Zone {
  const zone = ctx.state.zone(ctx.params.zoneId);
  if (zone && capabilities(ctx, zone).has(capability)) return zone;
  if (capability === "zone.read")
    throw new ApiError(403, 9109, "Unauthorized to access requested resource");
  throw new ApiError(403, 10000, "Authentication error");
}

function requireTokenAdmin(ctx: Context): void {
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
  if (state.effectiveStatus(token) !== "active" || notYet)
    throw new ApiError(403, 9109, "Invalid access token");
}

// ---------------------------------------------------------------------------
// Serialization (Cloudflare's JSON shapes)
// ---------------------------------------------------------------------------

function tokenJson(state: CloudflareState, token: StoredToken) {
  return {
    id: token.id,
    name: token.name,
    status: state.effectiveStatus(token),
    issued_on: token.issuedOn,
    modified_on: token.modifiedOn,
    ...(token.lastUsedOn && { last_used_on: token.lastUsedOn }),
    ...(token.notBefore && { not_before: token.notBefore }),
    ...(token.expiresOn && { expires_on: token.expiresOn }),
    policies: token.policies.map((policy) => ({
      id: policy.id,
      effect: policy.effect,
      permission_groups: policy.permission_groups.map(({ id }) => ({
        id,
        name: state.permissionGroups.find((group) => group.id === id)?.name,
      })),
      resources: policy.resources,
    })),
    // Echoed as sent: the provider keeps `condition` null in state when none was set.
    ...(token.condition && { condition: token.condition }),
  };
}

function zoneJson(state: CloudflareState, zone: Zone) {
  const account = state.account(zone.accountId);
  return {
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: false,
    type: zone.type,
    development_mode: 0,
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    vanity_name_servers: [],
    created_on: zone.createdOn,
    modified_on: zone.createdOn,
    activated_on: zone.createdOn,
    meta: {
      step: 2,
      custom_certificate_quota: 0,
      page_rule_quota: 3,
      phishing_detected: false,
      cdn_only: false,
      dns_only: false,
      foundation_dns: false,
    },
    owner: { id: null, type: "user", name: null },
    account: { id: zone.accountId, name: account?.name ?? "" },
    tenant: { id: null, name: null },
    tenant_unit: { id: null },
    permissions: ["#dns_records:edit", "#dns_records:read", "#zone:read"],
    plan: zone.paidPlan ? plan("pro", "Pro Website", 20, true) : plan("free", "Free Website", 0),
  };
}

function plan(id: string, name: string, price: number, subscribed = false) {
  return {
    id,
    name,
    price,
    currency: "USD",
    frequency: subscribed ? "monthly" : "",
    is_subscribed: subscribed,
    can_subscribe: false,
    legacy_id: id,
    legacy_discount: false,
    externally_managed: false,
  };
}

function recordJson(record: DnsRecord) {
  return {
    id: record.id,
    type: record.type,
    name: record.name,
    content: record.content,
    proxiable: PROXIABLE_TYPES.has(record.type),
    proxied: record.proxied,
    ttl: record.ttl,
    settings: {},
    meta: {},
    comment: record.comment,
    tags: record.tags,
    ...(record.priority !== undefined && { priority: record.priority }),
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

function groupJson(group: PermissionGroup) {
  return { id: group.id, name: group.name, scopes: group.scopes };
}

// ---------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------

interface Page<T> {
  result: T[];
  resultInfo: {
    page: number;
    per_page: number;
    count: number;
    total_count: number;
    total_pages: number;
  };
}

function positiveInt(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw badRequest(`${name} must be an integer between 1 and ${max}; given ${raw}`);
  return value;
}

/**
 * Cloudflare's page-number pagination. A page past the end is an empty
 * `result`, which is what ends the Go SDK's auto-pager (it ignores total_pages).
 */
function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  defaultPerPage: number,
  maxPerPage: number,
): Page<T> {
  const page = positiveInt(query, "page", 1, Number.MAX_SAFE_INTEGER);
  const perPage = positiveInt(query, "per_page", defaultPerPage, maxPerPage);
  const result = items.slice((page - 1) * perPage, page * perPage);
  return {
    result,
    resultInfo: {
      page,
      per_page: perPage,
      count: result.length,
      total_count: items.length,
      total_pages: Math.ceil(items.length / perPage),
    },
  };
}

// ---------------------------------------------------------------------------
// Route handlers: tokens and permission groups
// ---------------------------------------------------------------------------

interface Reply {
  result: unknown;
  resultInfo?: Page<unknown>["resultInfo"];
  messages?: { code: number; message: string; type: null }[];
}

/** The token owner a route addresses: /user/tokens or /accounts/{id}/tokens. */
function routeOwner(ctx: Context): TokenOwner {
  const accountId = ctx.params.accountId;
  if (accountId === undefined) return { kind: "user" };
  if (!ctx.state.account(accountId))
    throw new ApiError(
      404,
      7003,
      `Could not route to /accounts/${accountId}/tokens, perhaps your object identifier is invalid?`,
    );
  return { kind: "account", accountId };
}

function sameOwner(a: TokenOwner, b: TokenOwner): boolean {
  return (
    a.kind === b.kind &&
    (a.kind === "user" || a.accountId === (b as { accountId: string }).accountId)
  );
}

/** A token under the route's owner, or Cloudflare's 404 (which the provider turns into "gone"). */
function ownedToken(ctx: Context): StoredToken {
  const owner = routeOwner(ctx);
  const token = ctx.state.storedToken(ctx.params.tokenId);
  if (!token || !sameOwner(token.owner, owner))
    throw new ApiError(404, 1003, "Invalid API Token ID");
  return token;
}

/** Answers for the presented token; a token of another owner is an invalid token here. */
function verifyToken(ctx: Context): Reply {
  const owner = routeOwner(ctx);
  if (ctx.caller.kind === "bootstrap") {
    if (owner.kind !== "user") throw new ApiError(401, 1000, "Invalid API Token");
    return verified({ id: ctx.state.bootstrapTokenId, status: "active" });
  }
  const token = ctx.caller.token;
  if (!sameOwner(token.owner, owner)) throw new ApiError(401, 1000, "Invalid API Token");
  return verified({
    id: token.id,
    status: ctx.state.effectiveStatus(token),
    ...(token.notBefore && { not_before: token.notBefore }),
    ...(token.expiresOn && { expires_on: token.expiresOn }),
  });
}

function verified(result: { id: string; status: string }): Reply {
  const active = result.status === "active";
  const message = active
    ? "This API Token is valid and active"
    : `This API Token is ${result.status}`;
  return { result, messages: [{ code: 10000, message, type: null }] };
}

/** Parses a create/update body the way the provider sends it (resources as a JSON object). */
function tokenInput(state: CloudflareState, body: unknown) {
  if (!isObject(body)) throw badRequest("request body must be a JSON object", 6007);
  const { name, policies, condition, expires_on, not_before, status } = body;
  if (typeof name !== "string" || name === "") throw badRequest("name is required");
  if (!Array.isArray(policies) || policies.length === 0)
    throw badRequest("policies must be a non-empty array");
  if (status !== undefined && !["active", "disabled", "expired"].includes(status as string))
    throw badRequest(`status must be active, disabled or expired; given ${String(status)}`);
  return {
    name,
    policies: policies.map((policy) => policyInput(state, policy)),
    condition: conditionInput(condition),
    expiresOn: dateInput(expires_on, "expires_on"),
    notBefore: dateInput(not_before, "not_before"),
    status: status as StoredToken["status"] | undefined,
  };
}

function policyInput(state: CloudflareState, policy: unknown): TokenPolicy {
  if (!isObject(policy)) throw badRequest("each policy must be an object");
  const { effect, permission_groups: groups } = policy;
  if (effect !== "allow" && effect !== "deny")
    throw badRequest("policy effect must be allow or deny");
  if (!Array.isArray(groups) || groups.length === 0)
    throw badRequest("policy permission_groups must be a non-empty array");
  for (const group of groups) {
    const id = isObject(group) ? group.id : undefined;
    if (!state.permissionGroups.some((known) => known.id === id))
      throw badRequest(`unknown permission group: ${String(id)}`);
  }
  const resources = resourcesInput(policy.resources);
  if (!isObject(resources) || Object.keys(resources).length === 0)
    throw badRequest("policy resources must be a non-empty object");
  return {
    id: typeof policy.id === "string" ? policy.id : hexId(),
    effect,
    permission_groups: groups.map((group) => ({ id: String(group.id) })),
    resources,
  };
}

/** The provider sends an object; a JSON string is taken too. */
function resourcesInput(resources: unknown): unknown {
  if (typeof resources !== "string") return resources;
  try {
    return JSON.parse(resources);
  } catch {
    throw badRequest("policy resources must be a JSON object");
  }
}

function conditionInput(condition: unknown): TokenCondition | undefined {
  if (condition === undefined || condition === null) return undefined;
  if (!isObject(condition)) throw badRequest("condition must be an object");
  const requestIp = condition.request_ip;
  if (requestIp === undefined || requestIp === null) return {};
  if (!isObject(requestIp)) throw badRequest("condition.request_ip must be an object");
  const lists: NonNullable<TokenCondition["request_ip"]> = {};
  for (const key of ["in", "not_in"] as const) {
    const list = requestIp[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || list.some((cidr) => typeof cidr !== "string" || !isCidr(cidr)))
      throw badRequest(`condition.request_ip.${key} must be a list of CIDRs`);
    lists[key] = list;
  }
  return { request_ip: lists };
}

function isCidr(cidr: string): boolean {
  const [address, prefix, extra] = cidr.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

function dateInput(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || Number.isNaN(Date.parse(value)))
    throw badRequest(`${name} must be an RFC 3339 date-time`);
  return value;
}

/** POST: the only answer that carries the token's value. */
function createToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const owner = routeOwner(ctx);
  const input = tokenInput(ctx.state, ctx.body);
  const { id, value } = ctx.state.mintToken({ ...input, owner, status: input.status ?? "active" });
  const stored = ctx.state.storedToken(id) as StoredToken;
  return { result: { ...tokenJson(ctx.state, stored), value } };
}

function getToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  return { result: tokenJson(ctx.state, ownedToken(ctx)) };
}

/** PUT replaces everything the body describes; the value stays. */
function updateToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const token = ownedToken(ctx);
  const input = tokenInput(ctx.state, ctx.body);
  ctx.state.updateToken(token.id, { ...input, status: input.status ?? token.status });
  return { result: tokenJson(ctx.state, token) };
}

function deleteToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const token = ownedToken(ctx);
  ctx.state.deleteToken(token.id);
  return { result: { id: token.id } };
}

function listTokens(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const owner = routeOwner(ctx);
  const owned = ctx.state.tokens().filter((token) => sameOwner(token.owner, owner));
  const page = paginate(owned, ctx.query, 20, 50);
  const result = page.result.map((view) =>
    tokenJson(ctx.state, ctx.state.storedToken(view.id) as StoredToken),
  );
  return { result, resultInfo: page.resultInfo };
}

/**
 * Permission groups, one page. The provider sends `name` URL-encoded once more
 * than HTTP needs (the program passes encodeURIComponent(name), and the SDK
 * encodes the query), so the name is decoded a second time, as Cloudflare does.
 * The name matches as a case-insensitive substring; scope matches exactly.
 */
function listPermissionGroups(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  routeOwner(ctx);
  const name = decodeOnce(ctx.query.get("name") ?? "").toLowerCase();
  const scope = ctx.query.get("scope");
  const result = ctx.state.permissionGroups
    .filter((group) => group.name.toLowerCase().includes(name))
    .filter((group) => !scope || group.scopes.includes(scope))
    .map(groupJson);
  return { result };
}

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// ---------------------------------------------------------------------------
// Route handlers: zones
// ---------------------------------------------------------------------------

/** `name` takes Cloudflare's operator prefixes (`contains:`, `starts_with:`, …); equal by default. */
function nameMatches(filter: string, name: string): boolean {
  const [operator, operand] = filter.includes(":") ? filter.split(/:(.*)/s) : ["equal", filter];
  const wanted = operand.toLowerCase();
  switch (operator) {
    case "equal":
      return name === wanted;
    case "not_equal":
      return name !== wanted;
    case "starts_with":
      return name.startsWith(wanted);
    case "ends_with":
      return name.endsWith(wanted);
    case "contains":
      return name.includes(wanted);
    default:
      throw badRequest(`unknown name filter operator: ${operator}`);
  }
}

/** GET /zones: the zones the caller may read, filtered like the provider's zone data source asks. */
function listZones(ctx: Context): Reply {
  const { query, state } = ctx;
  const filters: Array<(zone: Zone) => boolean> = [];
  const name = query.get("name");
  if (name) filters.push((zone) => nameMatches(name, zone.name));
  const status = query.get("status");
  if (status) filters.push((zone) => zone.status === status);
  const accountId = query.get("account.id");
  if (accountId) filters.push((zone) => zone.accountId === accountId);
  const accountName = query.get("account.name");
  if (accountName) filters.push((zone) => state.account(zone.accountId)?.name === accountName);
  const types = query
    .getAll("type")
    .flatMap((type) => type.split(","))
    .filter(Boolean);
  if (types.length > 0) filters.push((zone) => types.includes(zone.type));
  const any = query.get("match") === "any" && filters.length > 0;
  const visible = state.zones
    .filter((zone) => capabilities(ctx, zone).has("zone.read"))
    .filter((zone) => (any ? filters.some((f) => f(zone)) : filters.every((f) => f(zone))));
  const page = paginate(visible, query, 20, 50);
  return { result: page.result.map((zone) => zoneJson(state, zone)), resultInfo: page.resultInfo };
}

function getZone(ctx: Context): Reply {
  return { result: zoneJson(ctx.state, authorizedZone(ctx, "zone.read")) };
}

// ---------------------------------------------------------------------------
// Route handlers: DNS records
// ---------------------------------------------------------------------------

/** Filters on `type`, `name`/`content` (plain, or `.exact`/`.contains`/`.startswith`/`.endswith`) and `proxied`. */
function recordFilters(query: URLSearchParams, zone: Zone): Array<(record: DnsRecord) => boolean> {
  const filters: Array<(record: DnsRecord) => boolean> = [];
  const type = query.get("type");
  if (type) filters.push((record) => record.type === type.toUpperCase());
  for (const field of ["name", "content"] as const) {
    const normalise = (value: string) =>
      field === "name" ? value.toLowerCase().replace(/\.$/, "") : value.toLowerCase();
    const exact = query.get(field) ?? query.get(`${field}.exact`);
    if (exact !== null) {
      const wanted = field === "name" ? absoluteName(exact, zone.name) : exact.toLowerCase();
      filters.push((record) => normalise(record[field]) === wanted);
    }
    for (const operator of ["contains", "startswith", "endswith"] as const) {
      const operand = query.get(`${field}.${operator}`);
      if (operand === null) continue;
      const wanted = operand.toLowerCase();
      filters.push((record) => {
        const value = normalise(record[field]);
        if (operator === "contains") return value.includes(wanted);
        return operator === "startswith" ? value.startsWith(wanted) : value.endsWith(wanted);
      });
    }
  }
  const proxied = query.get("proxied");
  if (proxied !== null) filters.push((record) => record.proxied === (proxied === "true"));
  return filters;
}

/** Default page size 100, as Cloudflare's; up to 5,000,000. */
function listRecords(ctx: Context): Reply {
  const zone = authorizedZone(ctx, "dns.read");
  const filters = recordFilters(ctx.query, zone);
  const any = ctx.query.get("match") === "any" && filters.length > 0;
  const matching = ctx.state
    .records(zone.id)
    .filter((record) => (any ? filters.some((f) => f(record)) : filters.every((f) => f(record))));
  const page = paginate(matching, ctx.query, 100, 5_000_000);
  return { result: page.result.map(recordJson), resultInfo: page.resultInfo };
}

function findRecord(records: readonly DnsRecord[], id: unknown): DnsRecord {
  const record = records.find((candidate) => candidate.id === id);
  if (!record) throw new ApiError(404, 81044, "Record does not exist.");
  return record;
}

function getRecord(ctx: Context): Reply {
  const zone = authorizedZone(ctx, "dns.read");
  return { result: recordJson(findRecord(ctx.state.records(zone.id), ctx.params.recordId)) };
}

/**
 * A record built from request fields, validated as Cloudflare would, keeping
 * `identity` (id, created_on) of the record it replaces. `records` are checked
 * for identical records and CNAME clashes.
 */
function recordFromFields(
  zone: Zone,
  fields: Record<string, unknown>,
  records: readonly DnsRecord[],
  now: string,
  identity?: Pick<DnsRecord, "id" | "createdOn">,
): DnsRecord {
  const type = String(fields.type ?? "").toUpperCase();
  if (!RECORD_TYPES.has(type)) throw badRequest(`Invalid DNS record type: ${type || "none"}`, 9020);
  if (typeof fields.name !== "string" || fields.name === "")
    throw badRequest("DNS record name is required", 9000);
  const content = fields.content;
  if (typeof content !== "string" || content === "")
    throw badRequest("DNS record content is required", 9002);
  if (type === "A" && isIP(content) !== 4)
    throw badRequest("Content for A record must be a valid IPv4 address.", 9005);
  if (type === "AAAA" && isIP(content) !== 6)
    throw badRequest("Content for AAAA record must be a valid IPv6 address.", 9006);
  const proxied = fields.proxied === true;
  if (proxied && !PROXIABLE_TYPES.has(type))
    throw badRequest("This record type cannot be proxied.", 9004);
  // Proxied records always have the automatic TTL.
  const ttl = proxied ? 1 : Number(fields.ttl ?? 1);
  if (!(ttl === 1 || (Number.isInteger(ttl) && ttl >= 30 && ttl <= 86400)))
    throw badRequest(
      "Invalid TTL. Must be between 30 and 86400 seconds, or 1 for automatic.",
      9021,
    );
  const record: DnsRecord = {
    id: identity?.id ?? hexId(),
    zoneId: zone.id,
    type,
    name: absoluteName(fields.name, zone.name),
    content,
    ttl,
    proxied,
    // external-dns sends "" for no comment and null for no tags.
    comment: typeof fields.comment === "string" && fields.comment !== "" ? fields.comment : null,
    tags: Array.isArray(fields.tags) ? fields.tags.map(String) : [],
    priority: PRIORITY_TYPES.has(type) ? Number(fields.priority ?? 0) : undefined,
    createdOn: identity?.createdOn ?? now,
    modifiedOn: now,
  };
  checkConflicts(record, records);
  return record;
}

function checkConflicts(record: DnsRecord, records: readonly DnsRecord[]): void {
  const others = records.filter((other) => other.id !== record.id && other.name === record.name);
  if (others.some((other) => other.type === record.type && other.content === record.content))
    throw badRequest("An identical record already exists.", 81058);
  const clash = (a: string, b: string) => a === "CNAME" && ["A", "AAAA", "CNAME"].includes(b);
  if (others.some((other) => clash(record.type, other.type) || clash(other.type, record.type)))
    throw badRequest("An A, AAAA, or CNAME record with that host already exists.", 81053);
}

/** One change to a zone's records; used by single writes and batches. */
type Change =
  | { op: "post"; fields: Record<string, unknown> }
  | { op: "put" | "patch"; id: unknown; fields: Record<string, unknown> }
  | { op: "delete"; id: unknown };

/** Applies a change to `records` in place; returns the record created, changed or deleted. */
function applyChange(zone: Zone, records: DnsRecord[], change: Change, now: string): DnsRecord {
  if (change.op === "post") {
    const record = recordFromFields(zone, change.fields, records, now);
    records.push(record);
    return record;
  }
  const existing = findRecord(records, change.id);
  const index = records.indexOf(existing);
  if (change.op === "delete") {
    records.splice(index, 1);
    return existing;
  }
  // PUT replaces the record (omitted fields take their defaults); PATCH merges.
  const fields =
    change.op === "patch" ? { ...recordJson(existing), ...change.fields } : change.fields;
  const record = recordFromFields(zone, fields, records, now, existing);
  records[index] = record;
  return record;
}

/** The names a change asks to write: the record's new name, and the old one of a record it targets. */
function changedNames(zone: Zone, records: readonly DnsRecord[], change: Change): string[] {
  const names: string[] = [];
  if (change.op !== "post") {
    const existing = records.find((record) => record.id === change.id);
    if (existing) names.push(existing.name);
  }
  if (change.op !== "delete" && typeof change.fields.name === "string")
    names.push(absoluteName(change.fields.name, zone.name));
  return names;
}

/**
 * Notes the names the changes ask to write, for the request log, then checks
 * the caller may edit the zone: a refused write is logged with its names too.
 */
function zoneToWrite(ctx: Context, changes: Change[]): Zone {
  const zone = ctx.state.zone(ctx.params.zoneId);
  if (zone) {
    const records = ctx.state.records(zone.id);
    ctx.touched.push(...new Set(changes.flatMap((change) => changedNames(zone, records, change))));
  }
  return authorizedZone(ctx, "dns.edit");
}

/** Applies changes to a copy and commits only if all succeed, like Cloudflare's batch. */
function commitChanges(ctx: Context, zone: Zone, changes: Change[]): DnsRecord[] {
  const records = [...ctx.state.records(zone.id)];
  const now = timestamp(ctx.state.now());
  const results = changes.map((change) => applyChange(zone, records, change, now));
  ctx.state.replaceRecords(zone.id, records);
  return results;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw badRequest("request body must be a JSON object", 6007);
  return body;
}

function writeRecord(op: "post" | "put" | "patch" | "delete") {
  return (ctx: Context): Reply => {
    const id = ctx.params.recordId;
    const change: Change =
      op === "post"
        ? { op, fields: bodyObject(ctx.body) }
        : op === "delete"
          ? { op, id }
          : { op, id, fields: bodyObject(ctx.body) };
    const zone = zoneToWrite(ctx, [change]);
    const [record] = commitChanges(ctx, zone, [change]);
    return { result: op === "delete" ? { id: record.id } : recordJson(record) };
  };
}

/** POST /zones/{id}/dns_records/batch: deletes, then patches, puts, posts; all or nothing. */
function batchRecords(ctx: Context): Reply {
  const body = bodyObject(ctx.body);
  const list = (key: string): Record<string, unknown>[] => {
    const value = body[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || !value.every(isObject))
      throw badRequest(`${key} must be a list of objects`);
    return value;
  };
  const deletes = list("deletes").map((item): Change => ({ op: "delete", id: item.id }));
  const patches = list("patches").map(({ id, ...fields }): Change => ({ op: "patch", id, fields }));
  const puts = list("puts").map(({ id, ...fields }): Change => ({ op: "put", id, fields }));
  const posts = list("posts").map((fields): Change => ({ op: "post", fields }));
  const changes = [...deletes, ...patches, ...puts, ...posts];
  const results = commitChanges(ctx, zoneToWrite(ctx, changes), changes);
  const groups = { deletes, patches, puts, posts };
  const result: Record<string, unknown[]> = {};
  let offset = 0;
  for (const [key, changes] of Object.entries(groups)) {
    result[key] = results.slice(offset, offset + changes.length).map(recordJson);
    offset += changes.length;
  }
  return { result };
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

interface Route {
  method: string;
  pattern: RegExp;
  kind: RequestKind;
  handle: (ctx: Context) => Reply;
}

/** User tokens and account tokens share handlers; `accountId` tells them apart. */
const TOKENS = "(?:/user|/accounts/(?<accountId>[^/]+))/tokens";

function route(method: string, path: string, kind: RequestKind, handle: Route["handle"]): Route {
  return { method, pattern: new RegExp(`^${path}$`), kind, handle };
}

/** Order matters: fixed segments (verify, permission_groups, batch) before ids. */
const ROUTES: Route[] = [
  route("GET", `${TOKENS}/verify`, "tokens.verify", verifyToken),
  route("GET", `${TOKENS}/permission_groups`, "permission_groups.list", listPermissionGroups),
  route("GET", TOKENS, "tokens.list", listTokens),
  route("POST", TOKENS, "tokens.create", createToken),
  route("GET", `${TOKENS}/(?<tokenId>[^/]+)`, "tokens.get", getToken),
  route("PUT", `${TOKENS}/(?<tokenId>[^/]+)`, "tokens.update", updateToken),
  route("DELETE", `${TOKENS}/(?<tokenId>[^/]+)`, "tokens.delete", deleteToken),
  route("GET", "/zones", "zones.list", listZones),
  route("GET", "/zones/(?<zoneId>[^/]+)", "zones.get", getZone),
  route("GET", "/zones/(?<zoneId>[^/]+)/dns_records", "dns_records.list", listRecords),
  route("POST", "/zones/(?<zoneId>[^/]+)/dns_records", "dns_records.create", writeRecord("post")),
  route("POST", "/zones/(?<zoneId>[^/]+)/dns_records/batch", "dns_records.batch", batchRecords),
  route(
    "GET",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.get",
    getRecord,
  ),
  route(
    "PUT",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.update",
    writeRecord("put"),
  ),
  route(
    "PATCH",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.patch",
    writeRecord("patch"),
  ),
  route(
    "DELETE",
    "/zones/(?<zoneId>[^/]+)/dns_records/(?<recordId>[^/]+)",
    "dns_records.delete",
    writeRecord("delete"),
  ),
];

interface Match {
  route?: Route;
  params: Record<string, string>;
  /** The path exists, but not for this method. */
  wrongMethod: boolean;
}

function matchRoute(method: string, path: string): Match {
  let wrongMethod = false;
  for (const candidate of ROUTES) {
    const found = candidate.pattern.exec(path);
    if (!found) continue;
    if (candidate.method !== method) {
      wrongMethod = true;
      continue;
    }
    const params = Object.fromEntries(
      Object.entries(found.groups ?? {}).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    return { route: candidate, params, wrongMethod: false };
  }
  return { params: {}, wrongMethod };
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/** IPs requests count as coming from, instead of the socket's (see CloudflareApi.setClientIp). */
interface IpOverrides {
  all?: string;
  byToken: Map<string, string>;
}

function remoteIp(request: IncomingMessage): string {
  const address = request.socket.remoteAddress ?? "127.0.0.1";
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
}

function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    result[key] = values.length === 1 ? values[0] : values;
  }
  return result;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("Malformed JSON in request body", 6007);
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function errorBody(error: ApiError) {
  return {
    success: false,
    errors: [{ code: error.code, message: error.message }],
    messages: [],
    result: null,
  };
}

/** Resolves the caller, or throws Cloudflare's answer for a missing, unknown or unusable token. */
function authenticate(
  state: CloudflareState,
  value: string | undefined,
  clientIp: string,
  kind: RequestKind,
): Caller {
  if (value === undefined)
    throw new ApiError(
      400,
      6003,
      "Invalid request headers: missing or malformed Authorization header",
    );
  const id = state.tokenIdForValue(value);
  if (id === "bootstrap") return { kind: "bootstrap" };
  const token = id && state.storedToken(id);
  if (!token) throw new ApiError(401, 1000, "Invalid API Token");
  checkTokenUsable(state, token, clientIp, kind);
  token.lastUsedOn = timestamp(state.now());
  return { kind: "token", token };
}

/** Finds the route and fills in what the log says about the request. */
function locate(request: IncomingMessage, url: URL, entry: RecordedRequest) {
  const inside = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
  const path = inside ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
  const match = inside ? matchRoute(entry.method, path) : { params: {}, wrongMethod: false };
  Object.assign(entry, {
    path,
    query: queryRecord(url.searchParams),
    kind: match.route?.kind ?? "unknown",
    zoneId: match.params.zoneId,
  });
  if (match.route) return { route: match.route, params: match.params };
  if (match.wrongMethod)
    throw new ApiError(
      405,
      10000,
      `${request.method} method not allowed for the api_token authentication scheme`,
    );
  throw new ApiError(404, 7000, "No route for that URI");
}

async function handle(
  state: CloudflareState,
  overrides: IpOverrides,
  request: IncomingMessage,
  entry: RecordedRequest,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(request.url ?? "/", "http://stand-in");
  const value = bearerToken(request);
  entry.tokenId = value === undefined ? "none" : (state.tokenIdForValue(value) ?? "unknown");
  const { route, params } = locate(request, url, entry);
  const text = await readText(request);
  const clientIp = overrides.byToken.get(entry.tokenId) ?? overrides.all ?? remoteIp(request);
  const caller = authenticate(state, value, clientIp, route.kind);
  const touched: string[] = [];
  let reply: Reply;
  try {
    reply = route.handle({
      state,
      caller,
      params,
      query: url.searchParams,
      body: parseBody(text),
      touched,
    });
  } finally {
    if (DNS_WRITE_KINDS.has(route.kind)) entry.recordNames = touched;
  }
  return {
    status: 200,
    body: {
      success: true,
      errors: [],
      messages: reply.messages ?? [],
      result: reply.result,
      ...(reply.resultInfo && { result_info: reply.resultInfo }),
    },
  };
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

export interface CloudflareApi {
  /** Base URL for clients, `http://127.0.0.1:PORT/client/v4`; also external-dns's CLOUDFLARE_BASE_URL. */
  readonly url: string;
  /** Value for `cloudflare:baseUrl` (the same URL: the Go SDK resolves paths below it). */
  readonly baseUrlForProvider: string;
  /** The bootstrap token's value (for `cloudflare:apiToken`). A getter, so printing the object hides it. */
  readonly bootstrapToken: string;
  readonly state: CloudflareState;
  readonly requests: RequestLog;
  /**
   * Makes requests count as coming from `ip` (for `condition.request_ip`):
   * those with the token `tokenId` (a minted token's id, or "bootstrap"), or
   * all when no id is given. `undefined` goes back to the socket's address
   * (127.0.0.1). A per-token IP wins over the one for all.
   */
  setClientIp(ip: string | undefined, tokenId?: string): void;
  /** Serves HTTP on a connection made elsewhere (a TLS socket from cloudflareProxy.ts). */
  acceptConnection(socket: Socket): void;
  close(): Promise<void>;
}

class RunningApi implements CloudflareApi {
  readonly requests = new RequestLog();
  readonly #bootstrap: string;
  readonly #overrides: IpOverrides = { byToken: new Map() };
  #server?: Server;
  #url = "";

  constructor(
    readonly state: CloudflareState,
    bootstrap: string,
    clientIp: string | undefined,
  ) {
    this.#bootstrap = bootstrap;
    this.#overrides.all = clientIp;
  }

  get url(): string {
    return this.#url;
  }

  get baseUrlForProvider(): string {
    return this.#url;
  }

  get bootstrapToken(): string {
    return this.#bootstrap;
  }

  setClientIp(ip: string | undefined, tokenId?: string): void {
    if (tokenId === undefined) this.#overrides.all = ip;
    else if (ip === undefined) this.#overrides.byToken.delete(tokenId);
    else this.#overrides.byToken.set(tokenId, ip);
  }

  acceptConnection(socket: Socket): void {
    if (!this.#server) throw new Error("the Cloudflare stand-in is not listening");
    this.#server.emit("connection", socket);
  }

  async listen(): Promise<void> {
    const server = createServer((request, response) => this.#serve(request, response));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${API_PREFIX}`;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const entry: RecordedRequest = {
      method: request.method ?? "GET",
      path: "",
      query: {},
      kind: "unknown",
      tokenId: "none",
      status: 0,
      time: Date.now(),
    };
    let answer: { status: number; body: unknown };
    try {
      answer = await handle(this.state, this.#overrides, request, entry);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 10001, String(error));
      answer = { status: apiError.status, body: errorBody(apiError) };
    }
    entry.status = answer.status;
    this.requests.add(entry);
    send(response, answer.status, answer.body);
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }
}

/** Starts the stand-in on 127.0.0.1 with a free port. */
export async function startCloudflareApi(
  options: CloudflareApiOptions = {},
): Promise<CloudflareApi> {
  const bootstrap = options.bootstrapToken ?? tokenValue();
  const api = new RunningApi(new CloudflareState(options, bootstrap), bootstrap, options.clientIp);
  await api.listen();
  return api;
}
