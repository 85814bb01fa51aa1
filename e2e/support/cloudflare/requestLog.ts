/** The log of every request the stand-in answered, and the kinds of request it tells apart. */
import type { Fault } from "./faults";

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
  /** "bootstrap", a minted token's id, "unknown" (a value nobody issued, or malformed) or "none". */
  tokenId: string;
  /** For DNS writes: the names (FQDNs) of the records the request asked to change, refused or not. */
  recordNames?: string[];
  /** The answer's status; 0 for a dropped connection. */
  status: number;
  /** The injected fault the request met (CloudflareApi.injectFault), if any. */
  fault?: Fault["type"];
  /** Epoch milliseconds when the request arrived. */
  time: number;
}

export type RequestFilter =
  | Partial<Pick<RecordedRequest, "kind" | "zoneId" | "tokenId" | "method" | "status" | "fault">>
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

  /** Requests that met an injected fault, of one type or any. */
  faults(type?: Fault["type"]): number {
    return this.count((entry) => entry.fault !== undefined && (!type || entry.fault === type));
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
