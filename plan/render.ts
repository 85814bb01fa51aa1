/** The plan as text for people: short sections, stable order, diff-friendly. */
import { stringify } from "yaml";
import { CLOUDFLARE_RATE_LIMIT, percent, WARNING_SHARE } from "./apiUsage";
import type {
  AgainstDeployed,
  Plan,
  PlannedOwnerRename,
  PlannedOwnershipMove,
  PlannedResource,
} from "./report";

export function renderPlan(plan: Plan): string {
  const lines = [
    plan.clusterRead
      ? `Plan for stack ${plan.stack} (no Cloudflare or Pulumi service was contacted; the cluster was read, nothing changed)`
      : `Plan for stack ${plan.stack} (offline: no Cloudflare, cluster or Pulumi service was contacted)`,
  ];
  if (plan.againstDeployed && plan.valid)
    lines.push("", ...againstDeployedLines(plan.againstDeployed));
  if (plan.refusal !== undefined) {
    lines.push(
      "",
      "Refused by the cluster checks (pulumi preview and pulumi up refuse the same way, before any change):",
      ...plan.refusal.split("\n").map((line) => `  ✗ ${line}`),
    );
  } else if (!plan.valid) {
    lines.push(
      "",
      `Invalid stack config (${plan.errors.length}):`,
      ...plan.errors.map((error) => `  ✗ ${error}`),
    );
  } else if (!plan.enabled) {
    lines.push("", "external-dns:enabled is false: this stack deploys nothing.");
  } else {
    lines.push(...deploymentSections(plan));
  }
  if (plan.warnings.length > 0) {
    lines.push(
      "",
      `Warnings (${plan.warnings.length}):`,
      ...plan.warnings.map((warning) => `  ! ${warning}`),
    );
  }
  return `${lines.join("\n")}\n`;
}

function deploymentSections(plan: Plan): string[] {
  const {
    token,
    sopsSecret,
    chart,
    managedHostnames,
    clusterChecks,
    ownershipTxtRecords,
    unmanagedHostnames,
    apiUsage,
  } = plan;
  if (!token || !sopsSecret || !chart || !ownershipTxtRecords || !apiUsage) return [];
  return [
    "",
    "Resources:",
    ...plan.resources.flatMap((resource) => resourceLines(resource, 1, markerOf(plan))),
    "",
    "Cloudflare token:",
    `  name: ${token.name}`,
    `  may: ${token.permissionGroups.join(" + ")}, and nothing else`,
    `  on zones: ${token.zones.map((zone) => `${zone.name} (${zone.id})`).join(", ")}`,
    `  from client IPs: ${token.clientIps.length > 0 ? token.clientIps.join(", ") : "any"}`,
    `  owned by: ${token.owner.kind === "account" ? `account ${token.owner.accountId}` : "the user of the bootstrap token"}`,
    `  expires: ${token.expiresOn ?? "never"}`,
    `  next rotation: ${token.nextRotation ? `due from ${token.nextRotation} (the first pulumi up after it mints a new token)` : "none (external-dns:tokenRotationDays is unset)"}`,
    "",
    `SopsSecret ${sopsSecret.namespace}/${sopsSecret.name} → Secret ${sopsSecret.secret.name}, key ${sopsSecret.secret.key}:`,
    `  encrypted for: ${sopsSecret.recipients.join(", ")}`,
    `  encrypts: ${sopsSecret.encrypts}`,
    `  GitOps copy: ${sopsSecret.gitopsFile ?? "none (external-dns:sopsSecretFile is unset)"}`,
    "  manifest before encryption:",
    ...indent(stringify(sopsSecret.manifest), 4),
    "",
    `Chart ${chart.chart} ${chart.version} (external-dns ${chart.externalDnsVersion}) from ${chart.repository ?? chart.chart}, release ${chart.release} in namespace ${chart.namespace}:`,
    `  annotations: ${chart.annotations}`,
    "  values:",
    ...indent(stringify(chart.values), 4),
    "  container arguments:",
    ...chart.containerArgs.map((arg) => `    ${arg}`),
    "",
    plan.clusterRead
      ? "Cluster checks (read now with --cluster: none refused; warnings below):"
      : "Cluster checks:",
    ...(clusterChecks ?? []).map((check) => `  ${check}`),
    "",
    `Managed hostnames: ${managedHostnames}`,
    "",
    unmanagedHostnames === undefined
      ? "Ownership TXT records external-dns will write (samples: the apex and www. of each domain filter, or of each zone under a regex, where managed):"
      : "Ownership TXT records external-dns will write for the hostnames asked for (one per record type a hostname gets):",
    ...ownershipTxtRecords.map(
      (record) => `  ${record.host} ${record.recordType} → ${record.txtName}`,
    ),
    ...(unmanagedHostnames ?? []).map(
      (hostname) => `  ${hostname}: not managed (the filters leave it alone: no record, no TXT)`,
    ),
    ...(plan.txtOwnershipMove ? moveLines(plan.txtOwnershipMove) : []),
    ...(plan.txtOwnerRename ? renameLines(plan.txtOwnerRename) : []),
    "",
    `Cloudflare API use (${apiUsage.zoneCount} zone(s), ${apiUsage.recordsPerZone} records per zone, page size ${apiUsage.recordsPerPage}, every ${apiUsage.intervalSeconds}s):`,
    `  per reconcile: ${apiUsage.requestsPerReconcile} requests (per zone: 1 zone lookup + record pages + 1 empty page that ends the listing)`,
    `  per 5 minutes: ${apiUsage.requestsPerWindow} requests = ${percent(apiUsage.shareOfLimit)} of Cloudflare's limit of ${CLOUDFLARE_RATE_LIMIT.requests} (warning above ${percent(WARNING_SHARE)})`,
    ...(apiUsage.eventBurstRequestsPerWindow === undefined
      ? []
      : [
          `  with triggerLoopOnEvent, under a steady stream of events: up to ${apiUsage.eventBurstRequestsPerWindow} per 5 minutes`,
        ]),
  ];
}

function moveLines(move: PlannedOwnershipMove): string[] {
  return [
    "",
    `Ownership records moved after the chart's rollout (external-dns:migrateFromTxtPrefix), owner ${move.ownerId}, zones ${move.zones.join(", ")}:`,
    `  from prefix ${JSON.stringify(move.fromPrefix)} to ${JSON.stringify(move.toPrefix)}: each ownership TXT record of this owner under an old name is written under its new name`,
    "  (same content and TTL) and the old name deleted, one Cloudflare batch per zone (up to 200 changes each), all or nothing;",
    "  old names that own no record are deleted without a copy. Until then external-dns, already on the new prefix, leaves the existing records as they are.",
    ...(move.samples.length > 0 ? ["  for the records above:"] : []),
    ...move.samples.map(
      (sample) => `    ${sample.host} ${sample.recordType}: ${sample.from} → ${sample.to}`,
    ),
  ];
}

function renameLines(rename: PlannedOwnerRename): string[] {
  return [
    "",
    `Ownership records renamed after the chart's rollout (external-dns:migrateFromTxtOwnerId), zones ${rename.zones.join(", ")}:`,
    `  owner ${rename.fromOwnerId} → ${rename.toOwnerId}, for the hostnames this cluster declares that the filters admit, read from its ${rename.sourcesRead.join(", ")} when the step runs;`,
    `  ownership records of ${rename.fromOwnerId} for other hostnames (another cluster's, or left by deleted sources) keep their owner.`,
    "  One Cloudflare batch per zone (up to 200 changes each), all or nothing; until then external-dns, already on the new owner, leaves the existing records as they are.",
    ...(rename.sourcesNotRead.length > 0
      ? [
          `  not read: ${rename.sourcesNotRead.join(", ")}: the records of those sources keep the old owner (rename them by hand)`,
        ]
      : []),
  ];
}

/** As pulumi preview marks them: + create, ~ update, +- replace, and nothing for the same. */
const OPERATION_MARKERS: Record<string, string> = {
  create: "+",
  update: "~",
  replace: "+-",
  delete: "-",
};

/** Each resource's marker: against the deployed stack, its operation; otherwise every one is created. */
function markerOf(plan: Plan): (resource: PlannedResource) => string {
  const against = plan.againstDeployed;
  if (!against?.read) return () => "+ ";
  return (resource) => {
    const row = against.changes.find(
      (change) => change.type === resource.type && change.name === resource.name,
    );
    // A chart is updated through the objects it renders, named `<chart>:<object>`.
    const rendered = against.changes.some((change) => change.name.startsWith(`${resource.name}:`));
    return (row ? OPERATION_MARKERS[row.operation] : rendered ? "~" : "").padEnd(3);
  };
}

function resourceLines(
  resource: PlannedResource,
  depth: number,
  marker: (resource: PlannedResource) => string,
): string[] {
  const line = `${"  ".repeat(depth)}${marker(resource)}${resource.type} ${resource.name}`;
  return [line, ...resource.children.flatMap((child) => resourceLines(child, depth + 1, marker))];
}

function indent(text: string, spaces: number): string[] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `${" ".repeat(spaces)}${line}`);
}

/** The comparison with the deployed stack: one line per change, then what the changes do. */
function againstDeployedLines(against: AgainstDeployed): string[] {
  if (!against.read)
    return [
      `Not compared with the deployed stack: could not read the state of stack ${against.stack} (${against.reason}).`,
      "  What follows is what pulumi up would deploy, as without --against-deployed; log in to the stack's backend to compare.",
    ];
  const when = against.updatedAt ? ` (state of ${against.updatedAt})` : "";
  if (against.changes.length === 0)
    return [
      `Against the deployed stack ${against.stack}${when}: no changes; pulumi up would change nothing (${against.unchanged} resources the same).`,
    ];
  const width = Math.max(...against.changes.map((row) => row.operation.length));
  return [
    `Against the deployed stack ${against.stack}${when}: ${against.changes.length} to change, ${against.unchanged} the same:`,
    ...against.changes.map(
      (row) =>
        `  ${row.operation.padEnd(width)}  ${row.type} ${row.name}${row.fields.length > 0 ? `  [${row.fields.join(", ")}]` : ""}`,
    ),
    ...(against.consequences.length > 0
      ? ["What this does:", ...against.consequences.map((line) => `  - ${line}`)]
      : []),
  ];
}
