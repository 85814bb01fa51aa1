/**
 * `npm run fleet -- --live`, the pure part: which owner holds which records in
 * each zone (read as external-dns 0.21 reads ownership records, see
 * components/txtRecords.ts), and which stack declares each owner: deployed
 * (the stack's outputs in the Pulumi backend), in a stack file, or as the old
 * owner of a rename in progress. An owner no stack declares is what a
 * decommissioned cluster leaves behind: its records point at a cluster that is
 * gone, and their names stay blocked for every other cluster.
 */
import type { DnsRecord, ZoneListing } from "../components/cloudflareRecords";

export type { ZoneListing } from "../components/cloudflareRecords";

import {
  MANAGED_RECORD_TYPES,
  ownedRecordOf,
  ownershipOwner,
  UNTYPED_OWNERSHIP_TYPES,
} from "../components/txtRecords";
import type { EnabledMember } from "../stacks/fleet";
import { DEFAULT_TXT_PREFIX } from "../stacks/options";

/** What a deployed stack's outputs say about its external-dns. */
export interface DeployedStack {
  stack: string;
  /** The stack deploys external-dns (output `enabled`); undefined: it has no outputs, nothing was deployed. */
  enabled?: boolean;
  /** `--txt-owner-id` of the container arguments it deployed. */
  ownerId?: string;
  /** `--txt-prefix` of those arguments. */
  txtPrefix?: string;
  /** Output `zoneIds`. */
  zoneIds: string[];
}

export interface OwnerDeclaration {
  stack: string;
  as: "deployed owner" | "owner in its stack file" | "old owner it renames from";
}

/** An ownership record, and the records it owns that exist. */
export interface OwnershipEntry {
  txt: { id: string; name: string };
  /** The hostname it owns, when its name parses under a prefix of the fleet. */
  host?: string;
  owned: { id: string; name: string; type: string }[];
}

export interface OwnerRecords {
  owner: string;
  declaredBy: OwnerDeclaration[];
  entries: OwnershipEntry[];
}

export interface ZoneOwners {
  zoneId: string;
  zoneName: string;
  owners: OwnerRecords[];
}

export interface LiveReport {
  deployed: DeployedStack[];
  zones: ZoneOwners[];
  /** Owners with records that no stack declares. */
  undeclaredOwners: string[];
}

/** The stack's outputs as `pulumi stack export` holds them (the root `pulumi:pulumi:Stack` resource). */
export function deployedStackOf(stack: string, exported: unknown): DeployedStack {
  const resources =
    (exported as { deployment?: { resources?: { type?: string; outputs?: unknown }[] } }).deployment
      ?.resources ?? [];
  const outputs = (resources.find((resource) => resource.type === "pulumi:pulumi:Stack")?.outputs ??
    {}) as Record<string, unknown>;
  const args = Array.isArray(outputs.externalDnsArgs)
    ? outputs.externalDnsArgs.filter((arg): arg is string => typeof arg === "string")
    : [];
  const flag = (name: string) =>
    args.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
  return {
    stack,
    enabled: typeof outputs.enabled === "boolean" ? outputs.enabled : undefined,
    ownerId: flag("--txt-owner-id"),
    txtPrefix: flag("--txt-prefix"),
    zoneIds: Array.isArray(outputs.zoneIds)
      ? outputs.zoneIds.filter((id): id is string => typeof id === "string")
      : [],
  };
}

/** Who declares each owner ID: the deployed stacks and the stack files. */
export function ownerDeclarations(
  deployed: readonly DeployedStack[],
  members: readonly EnabledMember[],
): Map<string, OwnerDeclaration[]> {
  const declarations = new Map<string, OwnerDeclaration[]>();
  const add = (owner: string | undefined, declaration: OwnerDeclaration) => {
    if (owner === undefined) return;
    declarations.set(owner, [...(declarations.get(owner) ?? []), declaration]);
  };
  for (const stack of deployed)
    if (stack.enabled) add(stack.ownerId, { stack: stack.stack, as: "deployed owner" });
  for (const member of members) {
    add(member.settings.txtOwnerId, { stack: member.stack, as: "owner in its stack file" });
    add(member.settings.migrateFromTxtOwnerId, {
      stack: member.stack,
      as: "old owner it renames from",
    });
  }
  return declarations;
}

/** The TXT prefixes the fleet uses, used before, and external-dns's own defaults: how ownership names are read. */
export function knownPrefixes(
  deployed: readonly DeployedStack[],
  members: readonly EnabledMember[],
): string[] {
  return [
    ...new Set([
      ...deployed.flatMap((stack) => (stack.txtPrefix === undefined ? [] : [stack.txtPrefix])),
      ...members.flatMap((member) => [
        member.settings.txtPrefix,
        ...(member.settings.migrateFromTxtPrefix === undefined
          ? []
          : [member.settings.migrateFromTxtPrefix]),
      ]),
      DEFAULT_TXT_PREFIX,
      "",
    ]),
  ];
}

export function liveReport(
  deployed: readonly DeployedStack[],
  members: readonly EnabledMember[],
  listings: readonly ZoneListing[],
): LiveReport {
  const declarations = ownerDeclarations(deployed, members);
  const prefixes = knownPrefixes(deployed, members);
  const zones = listings.map((listing): ZoneOwners => {
    const byOwner = new Map<string, OwnershipEntry[]>();
    for (const record of listing.records) {
      const owner = record.type === "TXT" ? ownershipOwner(record.content) : undefined;
      if (owner === undefined) continue;
      byOwner.set(owner, [
        ...(byOwner.get(owner) ?? []),
        ownershipEntry(record, listing, prefixes),
      ]);
    }
    return {
      zoneId: listing.zoneId,
      zoneName: listing.zoneName,
      owners: [...byOwner]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([owner, entries]) => ({ owner, declaredBy: declarations.get(owner) ?? [], entries })),
    };
  });
  const undeclaredOwners = [
    ...new Set(
      zones.flatMap((zone) =>
        zone.owners.filter((owner) => owner.declaredBy.length === 0).map((owner) => owner.owner),
      ),
    ),
  ].sort();
  return { deployed: [...deployed], zones, undeclaredOwners };
}

/**
 * The records an ownership record owns: the first of the known prefixes under
 * which its name stands for records that exist (the typed name's type, or A
 * and CNAME for external-dns 0.14's untyped name).
 */
function ownershipEntry(
  txt: DnsRecord,
  listing: ZoneListing,
  prefixes: readonly string[],
): OwnershipEntry {
  const readings = prefixes.flatMap((prefix) => {
    const owned = ownedRecordOf(txt.name, prefix);
    return owned ? [owned] : [];
  });
  const found = readings.map((reading) => ({
    host: reading.host,
    owned: listing.records
      .filter(
        (record) =>
          record.name === reading.host &&
          (reading.recordType === undefined
            ? UNTYPED_OWNERSHIP_TYPES.includes(record.type)
            : record.type === reading.recordType) &&
          (MANAGED_RECORD_TYPES as readonly string[]).includes(record.type),
      )
      .map(({ id, name, type }) => ({ id, name, type })),
  }));
  const best = found.find((reading) => reading.owned.length > 0) ?? found[0];
  return { txt: { id: txt.id, name: txt.name }, host: best?.host, owned: best?.owned ?? [] };
}

/** Per zone, the records of `owner` to delete: its ownership records and the records they own. */
export function removalPlan(
  report: LiveReport,
  owner: string,
): { zoneId: string; zoneName: string; records: { id: string; name: string; type: string }[] }[] {
  return report.zones.flatMap((zone) => {
    const entries = zone.owners.find((candidate) => candidate.owner === owner)?.entries ?? [];
    const records = entries.flatMap((entry) => [...entry.owned, { ...entry.txt, type: "TXT" }]);
    const unique = [...new Map(records.map((record) => [record.id, record])).values()];
    return unique.length === 0
      ? []
      : [{ zoneId: zone.zoneId, zoneName: zone.zoneName, records: unique }];
  });
}
