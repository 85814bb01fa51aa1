/**
 * Renaming a cluster's owner ID (`external-dns:migrateFromTxtOwnerId`).
 *
 * external-dns finds its records by the owner their ownership TXT records
 * name. Started with a new `--txt-owner-id`, it treats every record of the old
 * owner as someone else's (plan/plan.go in 0.21.0): it neither updates nor
 * deletes it, nor creates anything at its name, so DNS keeps answering. Its
 * own `--migrate-from-txt-owner` would instead relabel every record of the old
 * owner, another cluster's included, and fails with Cloudflare anyway
 * (kubernetes-sigs/external-dns issue 6223). So, as for the prefix move, the
 * stack rolls external-dns to the new owner first, and once the rollout has
 * stopped the old process, one step rewrites the owner in the ownership records
 * of the hostnames this cluster declares and its filters admit: several
 * clusters that shared the old owner each take back exactly their own.
 */
import type { TxtContentChange, ZoneListing } from "./cloudflareRecords";
import { ownedRecordOf, ownershipOwner } from "./txtRecords";

export interface OwnerRenameSettings {
  /** The owner ID the ownership records carry now. */
  fromOwnerId: string;
  /** The stack's `txtOwnerId`. */
  toOwnerId: string;
  /** The stack's `txtPrefix`: the names of the ownership records (unchanged by the rename). */
  txtPrefix: string;
}

/** An ownership record whose owner is rewritten, and the hostname it owns. */
export interface OwnerRewrite extends TxtContentChange {
  name: string;
  host: string;
}

export interface ZoneRename {
  zoneId: string;
  zoneName: string;
  rewrites: OwnerRewrite[];
}

/** An ownership record of the old owner that stays as it is. */
export interface KeptOwnership {
  zoneName: string;
  name: string;
  host: string;
}

export interface OwnerRenamePlan {
  /** Zones with ownership records to rewrite. */
  zones: ZoneRename[];
  /** Ownership records of the old owner for hostnames this cluster does not claim (another cluster's, or orphans). */
  kept: KeptOwnership[];
}

/**
 * The ownership records (named with `txtPrefix`, typed or external-dns 0.14's
 * untyped form) whose owner is `fromOwnerId` and whose hostname `claims`
 * accepts, with the owner rewritten to `toOwnerId` and everything else of the
 * content, name and TTL kept.
 */
export function planOwnerRename(
  listings: readonly ZoneListing[],
  settings: OwnerRenameSettings,
  claims: (host: string) => boolean,
): OwnerRenamePlan {
  const zones: ZoneRename[] = [];
  const kept: KeptOwnership[] = [];
  for (const listing of listings) {
    const rewrites: OwnerRewrite[] = [];
    for (const record of listing.records) {
      if (record.type !== "TXT" || ownershipOwner(record.content) !== settings.fromOwnerId)
        continue;
      const owned = ownedRecordOf(record.name, settings.txtPrefix);
      if (!owned) continue;
      if (claims(owned.host))
        rewrites.push({
          id: record.id,
          name: record.name,
          host: owned.host,
          content: withOwner(record.content, settings.toOwnerId),
        });
      else kept.push({ zoneName: listing.zoneName, name: record.name, host: owned.host });
    }
    if (rewrites.length > 0)
      zones.push({ zoneId: listing.zoneId, zoneName: listing.zoneName, rewrites });
  }
  return { zones, kept };
}

/**
 * The content with the owner label set to `owner`; the quotes and the other
 * labels, in their order, stay as they are (external-dns reads them as a set).
 */
export function withOwner(content: string, owner: string): string {
  const quoted = /^"(.*)"$/s.exec(content);
  const labels = (quoted ? quoted[1] : content)
    .split(",")
    .map((pair) => (pair.startsWith("external-dns/owner=") ? `external-dns/owner=${owner}` : pair));
  const body = labels.join(",");
  return quoted ? `"${body}"` : body;
}

/** The rename as lines for people. */
export function describeZoneRename(zone: ZoneRename, settings: OwnerRenameSettings): string[] {
  return zone.rewrites.map(
    (rewrite) =>
      `${zone.zoneName}: ${rewrite.name} (${rewrite.host}): owner ${settings.fromOwnerId} → ${settings.toOwnerId}`,
  );
}
