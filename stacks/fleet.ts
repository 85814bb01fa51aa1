/**
 * What goes wrong between the stacks of one project, which share zones: the
 * clusters of a fleet. Pure functions over validated settings, used by
 * `npm run fleet` (all stacks at once) and by every preview and up (this
 * stack against its siblings' stack files).
 *
 * - Two stacks with the same `txtOwnerId` on a shared zone each take the
 *   other's records for their own: under `sync`, each deletes what only the
 *   other declares. An error.
 * - Two stacks whose filters admit the same hostnames fight over a name both
 *   clusters declare: the one that writes second fails on every reconcile (the
 *   name is taken by another owner), and the name points at whichever won. A
 *   warning, naming the hostnames. Exact for domain filters and exclusions
 *   (external-dns 0.21's `DomainFilter`, see components/hostnameFilter.ts);
 *   where a regex decides, only sample names can be tried.
 */
import { managesHostname, normalizeHostname, usesRegexFilter } from "../components/hostnameFilter";
import { SAMPLE_HOST_LABEL } from "../components/txtRecords";
import { isWithinDomain } from "./formats";
import {
  CONFIG_NAMESPACE,
  type LoadedConfig,
  loadSettings,
  projectKeys,
  type Settings,
} from "./settings";
import type { StackFile } from "./stackFiles";

/** A stack of the project and its validated config. */
export interface FleetMember {
  stack: string;
  /** The stack file it was read from. */
  path: string;
  loaded: LoadedConfig;
}

/** A stack whose config is valid and enabled. */
export interface EnabledMember {
  stack: string;
  path: string;
  settings: Settings;
}

/** Validates each stack file as the program would. */
export function fleetMembers(files: readonly StackFile[], now: Date = new Date()): FleetMember[] {
  return files.map((file) => ({
    stack: file.stack,
    path: file.path,
    loaded: loadSettings(projectKeys(file.config), now),
  }));
}

export function enabledMembers(members: readonly FleetMember[]): EnabledMember[] {
  return members.flatMap((member) =>
    member.loaded.kind === "enabled"
      ? [{ stack: member.stack, path: member.path, settings: member.loaded.settings }]
      : [],
  );
}

/** Two stacks with one owner ID on the zones they share. */
export interface OwnerConflict {
  ownerId: string;
  stacks: [string, string];
  zones: string[];
}

/** Every pair of enabled stacks that share an owner ID and a zone. */
export function ownerConflicts(members: readonly EnabledMember[]): OwnerConflict[] {
  return pairs(members).flatMap(([a, b]) => {
    const zones = sharedZones(a.settings, b.settings);
    return a.settings.txtOwnerId === b.settings.txtOwnerId && zones.length > 0
      ? [{ ownerId: a.settings.txtOwnerId, stacks: [a.stack, b.stack], zones }]
      : [];
  });
}

/**
 * Hostnames two stacks both admit in a zone they share: exactly (every name at
 * or under `domain`, except those at or under `except`), or, where a regex
 * decides, the sample `names` both admit.
 */
export type HostnameOverlap = { zone: string; stacks: [string, string] } & (
  | { exact: true; domain: string; except: string[] }
  | { exact: false; names: string[] }
);

/** Every overlap between every pair of enabled stacks. */
export function hostnameOverlaps(
  members: readonly EnabledMember[],
  extraHostnames: readonly string[] = [],
): HostnameOverlap[] {
  return pairs(members).flatMap(([a, b]) => overlapsOf(a, b, extraHostnames));
}

/** The overlaps of two stacks, zone by zone. */
export function overlapsOf(
  a: EnabledMember,
  b: EnabledMember,
  extraHostnames: readonly string[] = [],
): HostnameOverlap[] {
  const zones = sharedZones(a.settings, b.settings);
  if (zones.length === 0) return [];
  const stacks: [string, string] = [a.stack, b.stack];
  const zoneOf = (name: string) => mostSpecificZone(name, zones);
  if (usesRegexFilter(a.settings) || usesRegexFilter(b.settings)) {
    const byZone = new Map<string, string[]>();
    for (const name of sampleNames([a.settings, b.settings], extraHostnames)) {
      const zone = zoneOf(name);
      if (!zone || !managesHostname(a.settings, name) || !managesHostname(b.settings, name))
        continue;
      byZone.set(zone, [...(byZone.get(zone) ?? []), name]);
    }
    return [...byZone].map(([zone, names]) => ({ zone, stacks, exact: false, names }));
  }
  return exactOverlaps(a.settings, b.settings).flatMap((region) => {
    const zone = zoneOf(region.domain);
    return zone ? [{ zone, stacks, exact: true as const, ...region }] : [];
  });
}

/** The overlap in words: "names at or under x (except at or under y)" or the sample names. */
export function describeOverlap(overlap: HostnameOverlap): string {
  if (!overlap.exact)
    return `the sample names ${overlap.names.join(", ")} (a regex filter decides, so only sample names were tried: the apex and ${SAMPLE_HOST_LABEL}. of each filter and zone, and any --hostname given)`;
  const except =
    overlap.except.length > 0 ? `, except at or under ${overlap.except.join(", ")}` : "";
  return `names at or under ${overlap.domain}${except}`;
}

/** What the cross-stack checks say about one stack, against the other stacks of its project. */
export interface SiblingCheck {
  /** Owner IDs this stack shares with a sibling on a shared zone: the run is refused. */
  errors: string[];
  /** Hostnames this stack admits that a sibling admits too, and siblings that could not be checked. */
  warnings: string[];
}

/** This stack's settings against the stack files of its siblings (its own file excluded). */
export function checkAgainstSiblings(
  stack: string,
  settings: Settings,
  siblings: readonly FleetMember[],
): SiblingCheck {
  const self: EnabledMember = { stack, path: "", settings };
  const others = siblings.filter((sibling) => sibling.stack !== stack);
  const enabled = enabledMembers(others);
  const errors = enabled.flatMap((sibling) =>
    ownerConflicts([self, sibling]).map((conflict) => duplicateOwnerError(conflict, sibling)),
  );
  const warnings = others
    .filter((sibling) => sibling.loaded.kind === "invalid")
    .map(
      (sibling) =>
        `Not checked against stack ${sibling.stack}: its stack file ${sibling.path} is invalid (npm run fleet -- ${sibling.stack} lists the problems).`,
    );
  for (const sibling of enabled) {
    for (const overlap of overlapsOf(self, sibling))
      warnings.push(overlapWarning(overlap, settings, sibling));
  }
  return { errors, warnings };
}

function duplicateOwnerError(conflict: OwnerConflict, sibling: EnabledMember): string {
  const zones = conflict.zones.join(", ");
  return (
    `${CONFIG_NAMESPACE}:txtOwnerId: is also the owner ID of stack ${sibling.stack} (${sibling.path}), which shares zone ${zones} with this stack: ` +
    "each cluster's external-dns would take the other's records for its own, and under sync delete the ones only the other declares; " +
    `given ${JSON.stringify(conflict.ownerId)}; allowed: an owner ID no other stack of this project uses on ${zones} ` +
    `(to give each cluster its own while they already have records, set ${CONFIG_NAMESPACE}:migrateFromTxtOwnerId to ${JSON.stringify(conflict.ownerId)}: docs/fleet.md, "Renaming an owner")`
  );
}

function overlapWarning(
  overlap: HostnameOverlap,
  settings: Settings,
  sibling: EnabledMember,
): string {
  const key = usesRegexFilter(settings) ? "regexDomainFilter" : "domainFilters";
  return (
    `${CONFIG_NAMESPACE}:${key}: this stack and stack ${sibling.stack} (${sibling.path}) both admit ${describeOverlap(overlap)} in zone ${overlap.zone}: ` +
    "if both clusters declare one of those hostnames, the external-dns that writes second fails on every reconcile and the name points at whichever cluster won; " +
    `narrow the filters, or exclude the other's names with ${CONFIG_NAMESPACE}:excludeDomains (npm run fleet lists every overlap)`
  );
}

/** Zone names both stacks' tokens cover. */
export function sharedZones(a: Settings, b: Settings): string[] {
  const names = new Set(b.zones.map((zone) => zone.name));
  return a.zones.map((zone) => zone.name).filter((name) => names.has(name));
}

/** The longest zone name `name` lies in: external-dns writes a record into its most specific zone. */
function mostSpecificZone(name: string, zones: readonly string[]): string | undefined {
  return zones.filter((zone) => isWithinDomain(name, zone)).sort((x, y) => y.length - x.length)[0];
}

/**
 * The regions of names both domain filter lists admit, after both exclusion
 * lists: for every pair of filters where one lies at or under the other, the
 * deeper one, unless an exclusion covers it; regions inside another dropped.
 */
function exactOverlaps(a: Settings, b: Settings): { domain: string; except: string[] }[] {
  const excluded = unique([...a.excludeDomains, ...b.excludeDomains]);
  const domains = unique(
    a.domainFilters.flatMap((fa) =>
      b.domainFilters.flatMap((fb) => {
        const deeper = isWithinDomain(fa, fb) ? fa : isWithinDomain(fb, fa) ? fb : undefined;
        return deeper && !excluded.some((domain) => isWithinDomain(deeper, domain)) ? [deeper] : [];
      }),
    ),
  );
  return domains
    .filter((domain) => !domains.some((other) => other !== domain && isWithinDomain(domain, other)))
    .map((domain) => ({
      domain,
      except: outermost(excluded.filter((e) => e !== domain && isWithinDomain(e, domain))),
    }));
}

/** Domains that do not lie under another domain of the list. */
function outermost(domains: readonly string[]): string[] {
  return domains.filter(
    (domain) => !domains.some((other) => other !== domain && isWithinDomain(domain, other)),
  );
}

/** The apex and `www.` of every domain filter and zone of the stacks, and the hostnames given. */
function sampleNames(stacks: readonly Settings[], extra: readonly string[]): string[] {
  const domains = stacks.flatMap((settings) => [
    ...settings.domainFilters,
    ...settings.zones.map((zone) => zone.name),
  ]);
  return unique([
    ...domains.flatMap((domain) => [domain, `${SAMPLE_HOST_LABEL}.${domain}`]),
    ...extra.map(normalizeHostname),
  ]);
}

function pairs<T>(items: readonly T[]): [T, T][] {
  return items.flatMap((a, index) => items.slice(index + 1).map((b): [T, T] => [a, b]));
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
