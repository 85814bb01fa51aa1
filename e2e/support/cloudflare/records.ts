/** Route handlers for DNS records: lists, single reads and writes, and batches. */
import { isIP } from "node:net";
import { authorizedZone } from "./auth";
import type { Context, Reply } from "./context";
import {
  ApiError,
  badRequest,
  hexId,
  isObject,
  PRIORITY_TYPES,
  PROXIABLE_TYPES,
  RECORD_TYPES,
  timestamp,
} from "./errors";
import { paginate, recordJson } from "./json";
import type { DnsRecord, Zone } from "./model";
import { absoluteName } from "./state";

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
export function listRecords(ctx: Context): Reply {
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

export function getRecord(ctx: Context): Reply {
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

export function writeRecord(op: "post" | "put" | "patch" | "delete") {
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

/**
 * Changes one batch may hold, by zone plan: Free 200; Pro, Business and
 * Enterprise 3,500. The stand-in's zones are Free unless made with `paidPlan`
 * (their JSON says plan "free", or "pro").
 * https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/
 */
export function batchLimit(zone: Zone): number {
  return zone.paidPlan ? 3500 : 200;
}

/** POST /zones/{id}/dns_records/batch: deletes, then patches, puts, posts; all or nothing. */
export function batchRecords(ctx: Context): Reply {
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
  const zone = zoneToWrite(ctx, changes);
  const limit = batchLimit(zone);
  // No recorded answer to an oversized batch was found: the stand-in refuses
  // it with its own 400/1001, as it answers other bodies it cannot take.
  if (changes.length > limit)
    throw badRequest(
      `A batch on this zone's plan takes at most ${limit} changes; given ${changes.length}`,
    );
  const results = commitChanges(ctx, zone, changes);
  const groups = { deletes, patches, puts, posts };
  const result: Record<string, unknown[]> = {};
  let offset = 0;
  for (const [key, changes] of Object.entries(groups)) {
    result[key] = results.slice(offset, offset + changes.length).map(recordJson);
    offset += changes.length;
  }
  return { result };
}
