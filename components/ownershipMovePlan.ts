/**
 * Moving ownership records to another TXT prefix (`external-dns:migrateFromTxtPrefix`).
 *
 * external-dns has no flag for this: with a new `--txt-prefix` it looks only
 * for the new names, and treats a record whose ownership record has the old
 * name as someone else's (registry/txt/registry.go, plan/plan.go in 0.21.0):
 * it neither updates nor deletes it, nor creates anything at its name. So the
 * stack deploys external-dns with the new prefix first, and once the rollout
 * has stopped the old process (Recreate), one step copies each ownership
 * record to its new name and deletes the old one, zone by zone, in Cloudflare
 * batches that apply all or nothing. Nothing writes old names any more at that
 * point, so no record made meanwhile can be missed; until the step is done,
 * external-dns leaves the existing records as they are, and DNS keeps answering.
 */
import { isWithinDomain } from "../stacks/formats";
import type { DnsRecord, NewTxtRecord, ZoneListing } from "./cloudflareRecords";

export type { ZoneListing } from "./cloudflareRecords";

import {
  MANAGED_RECORD_TYPES,
  ownedRecordOf,
  ownershipOwner,
  ownershipTxtName,
} from "./txtRecords";

/** Which ownership records move, and where to. */
export interface OwnershipMoveSettings {
  /** `--txt-owner-id`: only this owner's records move. */
  ownerId: string;
  /** The prefix the records are named with now. */
  fromPrefix: string;
  /** The prefix the stack's external-dns runs with. */
  toPrefix: string;
}

/** One ownership record written under its new name; its old name is deleted. */
export interface OwnershipCopy {
  from: string;
  record: NewTxtRecord;
}

/** The changes at one host, which go into the same batch. */
export interface HostMove {
  host: string;
  copies: OwnershipCopy[];
  /** Old-prefix ownership records of this owner at the host. */
  deletes: { id: string; name: string; reason?: string }[];
}

export interface ZoneMove {
  zoneId: string;
  zoneName: string;
  hosts: HostMove[];
}

export interface OwnershipMovePlan {
  /** Zones with something to move. */
  zones: ZoneMove[];
  /** What stops the move before any write (names taken, names outside their zone). */
  conflicts: string[];
}

/** An ownership record named with the old prefix: its owner, and the record it names. */
interface OldOwnership {
  record: DnsRecord;
  owner: string;
  host: string;
  /** Undefined for external-dns 0.14's untyped name. */
  recordType?: string;
}

/** Why an old-prefix ownership record is deleted without a copy. */
export const NO_RECORD = "owns no record (an orphan): nothing to carry over";
export const TYPED_NAME_CARRIES =
  "external-dns 0.14's untyped form: the typed name beside it carries the ownership";

/**
 * What the move changes in each zone: for every record external-dns owns
 * through an old-prefix name (read as 0.21 reads it: the typed name, else the
 * untyped one for A and CNAME), its ownership record under the new name, with
 * the same content and TTL; and the deletion of every old-prefix ownership
 * record of this owner. Ownership records already under their new name stay.
 */
export function planOwnershipMove(
  listings: readonly ZoneListing[],
  settings: OwnershipMoveSettings,
): OwnershipMovePlan {
  const zones: ZoneMove[] = [];
  const conflicts: string[] = [];
  for (const listing of listings) {
    const zone = planZone(listing, settings);
    conflicts.push(...zone.conflicts);
    if (zone.hosts.length > 0)
      zones.push({ zoneId: listing.zoneId, zoneName: listing.zoneName, hosts: zone.hosts });
  }
  return { zones, conflicts };
}

function planZone(
  listing: ZoneListing,
  settings: OwnershipMoveSettings,
): { hosts: HostMove[]; conflicts: string[] } {
  const { ownerId, fromPrefix, toPrefix } = settings;
  const txtByName = new Map<string, DnsRecord>();
  for (const record of listing.records)
    if (record.type === "TXT") txtByName.set(record.name, record);
  // Ownership records named with the old prefix, of any owner: a typed name of another owner decides.
  const oldOwnership: OldOwnership[] = [...txtByName.values()].flatMap((record) => {
    const owner = ownershipOwner(record.content);
    const owned = ownedRecordOf(record.name, fromPrefix);
    return owner !== undefined && owned && hasOldName(record.name, settings)
      ? [{ record, owner, ...owned }]
      : [];
  });
  const byKey = new Map(
    oldOwnership.map((entry) => [`${entry.host}|${entry.recordType ?? ""}`, entry]),
  );
  const ownerOfRecord = (host: string, type: string): OldOwnership | undefined =>
    byKey.get(`${host}|${type}`) ?? (type === "AAAA" ? undefined : byKey.get(`${host}|`));
  const managed = listing.records.filter((record) =>
    (MANAGED_RECORD_TYPES as readonly string[]).includes(record.type),
  );
  const typesAt = new Map<string, string[]>();
  for (const record of managed)
    typesAt.set(record.name, [...(typesAt.get(record.name) ?? []), record.type]);

  const hosts = new Map<string, HostMove>();
  const hostMove = (host: string): HostMove => {
    const move = hosts.get(host) ?? { host, copies: [], deletes: [] };
    hosts.set(host, move);
    return move;
  };
  const conflicts: string[] = [];
  const copied = new Set<string>();
  for (const record of managed) {
    const source = ownerOfRecord(record.name, record.type);
    if (source?.owner !== ownerId) continue;
    const target = ownershipTxtName(record.name, record.type, toPrefix);
    if (copied.has(target)) continue;
    copied.add(target);
    const taken = txtByName.get(target);
    if (taken && ownershipOwner(taken.content) === ownerId) continue;
    if (taken) {
      conflicts.push(
        `${target}: the new name of ${source.record.name} (${record.type} ${record.name}) is taken by a TXT record "${taken.content}"`,
      );
    } else if (!isWithinDomain(target, listing.zoneName)) {
      conflicts.push(
        `${target}: the new name of ${source.record.name} (${record.type} ${record.name}) lies outside zone ${listing.zoneName}; external-dns could not write it either (use a prefix with %{record_type} and a trailing dot)`,
      );
    } else {
      hostMove(record.name).copies.push({
        from: source.record.name,
        record: { name: target, content: source.record.content, ttl: source.record.ttl },
      });
    }
  }
  for (const entry of oldOwnership) {
    if (entry.owner !== ownerId) continue;
    const types = typesAt.get(entry.host) ?? [];
    const ownsOne = types.some((type) => ownerOfRecord(entry.host, type) === entry);
    hostMove(entry.host).deletes.push({
      id: entry.record.id,
      name: entry.record.name,
      ...(ownsOne
        ? {}
        : {
            reason:
              entry.recordType === undefined && types.length > 0 ? TYPED_NAME_CARRIES : NO_RECORD,
          }),
    });
  }
  return { hosts: [...hosts.values()], conflicts };
}

/**
 * Whether a TXT record name is an ownership record name under the old prefix
 * only: the new prefix's typed names (which can parse under the old prefix
 * too, e.g. `externaldns-a.web…` as 0.14's untyped name of `a.web…`) are new.
 */
export function hasOldName(
  name: string,
  { fromPrefix, toPrefix }: Pick<OwnershipMoveSettings, "fromPrefix" | "toPrefix">,
): boolean {
  return (
    ownedRecordOf(name, toPrefix)?.recordType === undefined &&
    ownedRecordOf(name, fromPrefix) !== undefined
  );
}

/** The move as lines for people: what is copied where, and what is deleted without a copy. */
export function describeZoneMove(zone: ZoneMove): string[] {
  return zone.hosts.flatMap((host) => [
    ...host.copies.map((copy) => `${zone.zoneName}: ${copy.from} → ${copy.record.name}`),
    ...host.deletes
      .filter((deleted) => deleted.reason !== undefined)
      .map((deleted) => `${zone.zoneName}: ${deleted.name} deleted: ${deleted.reason}`),
  ]);
}
