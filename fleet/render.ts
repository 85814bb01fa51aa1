/** The fleet report as text for people: short sections, stable order, diff-friendly. */
import { CLOUDFLARE_RATE_LIMIT, percent } from "../plan/apiUsage";
import { describeOverlap } from "../stacks/fleet";
import { CALENDAR_HORIZON_DAYS } from "./limits";
import type { FleetReport } from "./report";

export function renderFleet(report: FleetReport, root: string): string {
  const lines = [
    `Fleet of ${report.stacks.length} stack(s) in ${root} (offline: no Cloudflare, cluster or Pulumi service was contacted)`,
    "",
    "Stacks:",
    ...table(
      report.stacks.map((stack) => [
        stack.stack,
        stack.status,
        stack.ownerId ? `owner ${stack.ownerId}` : "",
        stack.zones ? `zones ${stack.zones.join(", ")}` : "",
        stack.identity ? `identity ${stack.identity}` : "",
      ]),
    ),
    "",
    "Owner IDs:",
    ...(report.ownerConflicts.length === 0
      ? ["  each enabled stack has an owner ID no other stack uses on its zones"]
      : report.ownerConflicts.map(
          (conflict) =>
            `  ✗ ${conflict.ownerId}: stacks ${conflict.stacks.join(" and ")} on ${conflict.zones.join(", ")}`,
        )),
    "",
    "Hostnames more than one stack admits:",
    ...(report.overlaps.length === 0
      ? ["  none: no two stacks admit the same hostname in a zone they share"]
      : report.overlaps.map(
          (overlap) =>
            `  ! ${overlap.zone}: ${overlap.stacks.join(" and ")} both admit ${describeOverlap(overlap)}`,
        )),
    "",
    `Cloudflare API use per identity (${report.recordsPerZone} records per zone; Cloudflare's limit: ${CLOUDFLARE_RATE_LIMIT.requests} requests per 5 minutes per user):`,
    ...report.identities.map(
      (use) =>
        `  ${use.identity} (${use.stacks.join(", ")}): ${use.requestsPerWindow} requests per 5 minutes = ${percent(use.shareOfLimit)} of the limit` +
        (use.burstPerWindow > use.requestsPerWindow
          ? `; under steady event streams in every cluster, up to ${use.burstPerWindow}`
          : ""),
    ),
    "",
    "Tokens per identity (one per enabled stack; a rotation holds the old and the new one until its up ends):",
    ...report.identities.flatMap((use) =>
      use.tokens.map(
        (tokens) =>
          `  ${use.identity}: ${tokens.steady} ${tokens.owner} token(s), ${tokens.peak} on the busiest rotation day, of Cloudflare's quota of ${tokens.quota} (the bootstrap token and other tokens of that ${tokens.owner} count too)`,
      ),
    ),
    "",
    `Token calendar (rotations in the next ${CALENDAR_HORIZON_DAYS} days):`,
    ...table(
      report.calendar.map((entry) => [
        entry.stack,
        entry.identity,
        entry.rotationDays ? `every ${entry.rotationDays} days` : "no rotation",
        entry.nextRotation ? `next rotation ${entry.nextRotation}` : "",
        `expires ${entry.expiresOn ?? "never"}`,
      ]),
    ),
  ];
  if (report.errors.length > 0)
    lines.push("", `Errors (${report.errors.length}):`, ...report.errors.map((e) => `  ✗ ${e}`));
  if (report.warnings.length > 0)
    lines.push(
      "",
      `Warnings (${report.warnings.length}):`,
      ...report.warnings.map((w) => `  ! ${w}`),
    );
  return `${lines.join("\n")}\n`;
}

/** Rows as aligned columns, empty cells dropped at the end. */
function table(rows: string[][]): string[] {
  if (rows.length === 0) return ["  (none)"];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    `  ${row.map((cell, column) => cell.padEnd(widths[column])).join("  ")}`.trimEnd(),
  );
}
