/** The stand-in's state: accounts, zones, permission groups, tokens and DNS records. */
import { hexId, PRIORITY_TYPES, timestamp, tokenValue } from "./errors";
import type { RateLimit } from "./limits";
import {
  type Account,
  DEFAULT_ACCOUNT,
  DEFAULT_PERMISSION_GROUPS,
  DEFAULT_ZONES,
  DNS_WRITE_GROUP_ID,
  type DnsRecord,
  type PermissionGroup,
  REVOKED,
  type SeedRecord,
  type StoredToken,
  type TokenCondition,
  type TokenOwner,
  type TokenPolicy,
  type TokenView,
  ZONE_READ_GROUP_ID,
  ZONE_SCOPE,
  type Zone,
} from "./model";

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
  /** The per-user rate limit (see CloudflareApi.setRateLimit); default Cloudflare's, `false` for none. */
  rateLimit?: Partial<RateLimit> | false;
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

  /** Revokes a token as Cloudflare does one it finds exposed: kept, with status REVOKED. */
  revokeToken(id: string): TokenView {
    return this.updateToken(id, { status: REVOKED });
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
export function absoluteName(name: string, zoneName: string): string {
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (lower === "@" || lower === "") return zoneName;
  if (lower === zoneName || lower.endsWith(`.${zoneName}`)) return lower;
  return `${lower}.${zoneName}`;
}
