/**
 * `npm run fleet`: every stack file of the project validated as the plan
 * validates one, then what goes wrong between them (stacks/fleet.ts) and what
 * they add up to at Cloudflare (limits.ts). Offline and fast: settings only,
 * never the program under mocks.
 */
import { CLOUDFLARE_RATE_LIMIT, percent, WARNING_SHARE } from "../plan/apiUsage";
import {
  describeOverlap,
  enabledMembers,
  type FleetMember,
  type HostnameOverlap,
  hostnameOverlaps,
  type OwnerConflict,
  ownerConflicts,
} from "../stacks/fleet";
import {
  calendarEntry,
  type IdentityUse,
  identityOf,
  identityUse,
  type RotationClash,
  rotationClashes,
  TOKEN_WARNING_SHARE,
  type TokenCalendarEntry,
} from "./limits";

export interface FleetOptions {
  /** DNS records per zone for the API estimate. */
  recordsPerZone: number;
  /** Hostnames to try where a regex filter decides. */
  hostnames?: string[];
  now?: Date;
}

export interface FleetStack {
  stack: string;
  path: string;
  status: "enabled" | "disabled" | "invalid";
  ownerId?: string;
  zones?: string[];
  identity?: string;
  errors: string[];
  warnings: string[];
}

export interface FleetReport {
  stacks: FleetStack[];
  ownerConflicts: OwnerConflict[];
  overlaps: HostnameOverlap[];
  identities: IdentityUse[];
  calendar: TokenCalendarEntry[];
  rotationClashes: RotationClash[];
  recordsPerZone: number;
  /** Every problem that makes `npm run fleet` exit 1. */
  errors: string[];
  warnings: string[];
}

export function buildFleetReport(
  members: readonly FleetMember[],
  options: FleetOptions,
): FleetReport {
  const now = options.now ?? new Date();
  const enabled = enabledMembers(members);
  const conflicts = ownerConflicts(enabled);
  const overlaps = hostnameOverlaps(enabled, options.hostnames);
  const calendar = enabled.map((member) => calendarEntry(member, now));
  const clashes = rotationClashes(calendar, enabled, now);
  const identities = identityUse(enabled, options.recordsPerZone, calendar);
  const stacks = members.map(fleetStack);
  return {
    stacks,
    ownerConflicts: conflicts,
    overlaps,
    identities,
    calendar,
    rotationClashes: clashes,
    recordsPerZone: options.recordsPerZone,
    errors: [
      ...stacks.flatMap((stack) => stack.errors.map((error) => `${stack.stack}: ${error}`)),
      ...conflicts.map(ownerConflictError),
      ...identities.flatMap(limitErrors),
    ],
    warnings: [
      ...stacks.flatMap((stack) => stack.warnings.map((warning) => `${stack.stack}: ${warning}`)),
      ...overlaps.map(overlapWarning),
      ...identities.flatMap(limitWarnings),
      ...clashes.map(clashWarning),
    ],
  };
}

function fleetStack(member: FleetMember): FleetStack {
  const { loaded } = member;
  const base = { stack: member.stack, path: member.path, warnings: loaded.warnings };
  if (loaded.kind === "invalid") return { ...base, status: "invalid", errors: loaded.errors };
  if (loaded.kind === "disabled") return { ...base, status: "disabled", errors: [] };
  const { settings } = loaded;
  return {
    ...base,
    status: "enabled",
    ownerId: settings.txtOwnerId,
    zones: settings.zones.map((zone) => zone.name),
    identity: identityOf(settings),
    errors: [],
  };
}

function ownerConflictError(conflict: OwnerConflict): string {
  const [a, b] = conflict.stacks;
  return (
    `owner ID ${JSON.stringify(conflict.ownerId)} is used by stacks ${a} and ${b} on zone ${conflict.zones.join(", ")}: ` +
    "each cluster's external-dns takes the other's records for its own, and under sync deletes the ones only the other declares. " +
    'Give each its own external-dns:txtOwnerId; where records exist, set external-dns:migrateFromTxtOwnerId to the old one (docs/fleet.md: "Renaming an owner")'
  );
}

function overlapWarning(overlap: HostnameOverlap): string {
  const [a, b] = overlap.stacks;
  return (
    `stacks ${a} and ${b} both admit ${describeOverlap(overlap)} in zone ${overlap.zone}: ` +
    "a hostname both clusters declare goes to whichever writes first, and the other fails on every reconcile; narrow the filters or exclude the other's names"
  );
}

function limitErrors(use: IdentityUse): string[] {
  const errors: string[] = [];
  if (use.shareOfLimit > 1)
    errors.push(
      `identity ${use.identity}: its stacks' external-dns would make ${use.requestsPerWindow} requests per 5 minutes, ${percent(use.shareOfLimit)} of Cloudflare's limit of ${CLOUDFLARE_RATE_LIMIT.requests} per user: ` +
        "Cloudflare would answer 429 for 5 minutes at a time (and external-dns 0.21 crash-loops when a record listing is refused); raise external-dns:interval or recordsPerPage, or split the stacks across Cloudflare users (external-dns:cloudflareIdentity)",
    );
  for (const tokens of use.tokens)
    if (tokens.peak > tokens.quota)
      errors.push(
        `identity ${use.identity}: its stacks hold ${tokens.steady} ${tokens.owner} token(s), ${tokens.peak} on the busiest rotation day, above Cloudflare's quota of ${tokens.quota}: ` +
          "minting fails once the quota is reached; split the stacks across users or accounts, or spread their rotations (external-dns:tokenRotationOffsetDays)",
      );
  return errors;
}

function limitWarnings(use: IdentityUse): string[] {
  const warnings: string[] = [];
  if (use.shareOfLimit > WARNING_SHARE && use.shareOfLimit <= 1)
    warnings.push(
      `identity ${use.identity}: its stacks' external-dns would make ${use.requestsPerWindow} requests per 5 minutes, ${percent(use.shareOfLimit)} of Cloudflare's limit of ${CLOUDFLARE_RATE_LIMIT.requests} (more than ${percent(WARNING_SHARE)}), ` +
        "which the dashboard, pulumi up and every other tool of that user share",
    );
  if (use.burstPerWindow > CLOUDFLARE_RATE_LIMIT.requests)
    warnings.push(
      `identity ${use.identity}: with triggerLoopOnEvent, steady streams of Kubernetes events in every cluster at once could drive ${use.burstPerWindow} requests per 5 minutes, above Cloudflare's limit of ${CLOUDFLARE_RATE_LIMIT.requests}`,
    );
  for (const tokens of use.tokens)
    if (tokens.peak > tokens.quota * TOKEN_WARNING_SHARE && tokens.peak <= tokens.quota)
      warnings.push(
        `identity ${use.identity}: its stacks hold ${tokens.peak} of Cloudflare's ${tokens.quota} ${tokens.owner} tokens on the busiest rotation day (more than ${percent(TOKEN_WARNING_SHARE)}); the bootstrap token and that ${tokens.owner}'s other tokens count too`,
      );
  return warnings;
}

function clashWarning(clash: RotationClash): string {
  const days = clash.days.slice(0, 3).join(", ") + (clash.days.length > 3 ? ", …" : "");
  const fix = clash.suggestion
    ? `; e.g. set external-dns:tokenRotationOffsetDays to ${clash.suggestion.offsetDays} on ${clash.suggestion.stack} (its next up then mints a new token)`
    : "";
  return (
    `identity ${clash.identity}: stacks ${clash.stacks.join(", ")} rotate their tokens on the same day (${days}: ${clash.days.length} day(s) in the next year), ` +
    `so one bad bootstrap token or a Cloudflare outage that day fails them all at once${fix}`
  );
}
