/**
 * `npm run fleet -- --live`: the deployed stacks, read through Pulumi's
 * Automation API from the backend the CLI is logged in to (a self-managed
 * backend works: `pulumi stack export` needs no passphrase), and, with a
 * token that can read the zones, every zone's ownership records grouped by
 * owner (liveReport.ts). `--remove-owner` deletes the records of an owner no
 * stack declares, after showing them.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { batchesOf } from "../commands/stepSupport";
import {
  batchDnsRecords,
  type CloudflareAccess,
  listDnsRecords,
  zoneName,
} from "../components/cloudflareRecords";
import { enabledMembers, fleetMembers } from "../stacks/fleet";
import type { StackFile } from "../stacks/stackFiles";
import type { FleetArgs, FleetIo } from "./cli";
import {
  type DeployedStack,
  deployedStackOf,
  type LiveReport,
  liveReport,
  removalPlan,
  type ZoneListing,
} from "./liveReport";

const execFileAsync = promisify(execFile);

export async function runLive(args: FleetArgs, files: StackFile[], io: FleetIo): Promise<number> {
  let deployed: DeployedStack[];
  try {
    deployed = await readDeployedStacks(args.dir, args.stacks);
  } catch (error) {
    io.stderr(
      `Could not read the deployed stacks through the Pulumi CLI: ${(error as Error).message.split("\n")[0]}\n` +
        "Log in to the stacks' backend first (pulumi login <url>, or PULUMI_BACKEND_URL) with pulumi on PATH.\n",
    );
    return 1;
  }
  const members = enabledMembers(fleetMembers(files));
  const token = args.tokenFile ? readFileSync(args.tokenFile, "utf8").trim() : io.env.CF_API_TOKEN;
  if (!token) {
    if (args.removeOwner !== undefined) {
      io.stderr(
        "--remove-owner needs a token with DNS Write on the zones: CF_API_TOKEN or --cloudflare-token-file\n",
      );
      return 2;
    }
    const report = liveReport(deployed, members, []);
    io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderLive(report, false));
    return 0;
  }
  const baseUrl = cloudflareBaseUrl(files);
  const access: CloudflareAccess = { token, baseUrl };
  const zoneIds = [...new Set(deployed.flatMap((stack) => stack.zoneIds))];
  let listings: ZoneListing[];
  try {
    listings = await Promise.all(
      zoneIds.map(async (zoneId) => ({
        zoneId,
        zoneName: await zoneName(access, zoneId),
        records: await listDnsRecords(access, zoneId),
      })),
    );
  } catch (error) {
    io.stderr(
      `Could not read the zones' records: ${(error as Error).message}\nThe token needs Zone Read and DNS Read on the zones of the deployed stacks.\n`,
    );
    return 1;
  }
  const report = liveReport(deployed, members, listings);
  if (args.removeOwner !== undefined) return removeOwner(report, args, access, io);
  io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderLive(report, true));
  return 0;
}

/**
 * The deployed stacks of the project in `dir` (all, or those named): listed
 * through the Automation API, each exported with the CLI it found. Not with
 * the workspace's `exportStack`, which always asks for `--show-secrets`: that
 * needs the stack's passphrase and would bring the minted token's value into
 * this process, and the outputs read here are not secret.
 */
async function readDeployedStacks(dir: string, names: readonly string[]): Promise<DeployedStack[]> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  const workspace = await LocalWorkspace.create({ workDir: dir });
  const summaries = await workspace.listStacks();
  const stacks = summaries
    .map((summary) => summary.name.split("/").pop() ?? summary.name)
    .filter((stack) => names.length === 0 || names.includes(stack))
    .sort();
  const cli = workspace.pulumiCommand.command;
  return Promise.all(
    stacks.map(async (stack) =>
      deployedStackOf(stack, await exportWithoutSecrets(cli, dir, stack)),
    ),
  );
}

/** `pulumi stack export` as the CLI prints it: secrets stay encrypted. */
async function exportWithoutSecrets(cli: string, dir: string, stack: string): Promise<unknown> {
  const { stdout } = await execFileAsync(
    cli,
    ["stack", "export", "--stack", stack, "--non-interactive"],
    { cwd: dir, maxBuffer: 256 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

/** The Cloudflare API the stacks' provider uses (`cloudflare:baseUrl`), when they set one. */
function cloudflareBaseUrl(files: readonly StackFile[]): string | undefined {
  const urls = [...new Set(files.map((file) => file.config["cloudflare:baseUrl"]).filter(Boolean))];
  return urls.length === 1 ? urls[0] : undefined;
}

async function removeOwner(
  report: LiveReport,
  args: FleetArgs,
  access: CloudflareAccess,
  io: FleetIo,
): Promise<number> {
  const owner = args.removeOwner as string;
  const declaredBy = report.zones
    .flatMap((zone) => zone.owners)
    .find((candidate) => candidate.owner === owner)?.declaredBy;
  if (declaredBy && declaredBy.length > 0) {
    io.stderr(
      `Not removing owner ${owner}: ${declaredBy.map((d) => `stack ${d.stack} (${d.as})`).join(", ")} declares it. Nothing was changed.\n`,
    );
    return 1;
  }
  const plan = removalPlan(report, owner);
  const lines = plan.flatMap((zone) =>
    zone.records.map((record) => `  ${zone.zoneName}: ${record.type} ${record.name}`),
  );
  if (plan.length === 0) {
    io.stdout(`No records of owner ${owner} in the deployed stacks' zones.\n`);
    return 0;
  }
  if (!args.yes) {
    io.stdout(
      `Would delete ${lines.length} record(s) of owner ${owner}, which no stack declares (its ownership records and the records they own):\n${lines.join("\n")}\n` +
        `Run again with --yes to delete them, with a token that has DNS Write on these zones.\n`,
    );
    return 0;
  }
  let deleted = 0;
  for (const zone of plan) {
    for (const records of batchesOf(zone.records, () => 1)) {
      try {
        await batchDnsRecords(access, zone.zoneId, { deletes: records.map((record) => record.id) });
      } catch (error) {
        io.stderr(
          `Deleting the records of owner ${owner} stopped in zone ${zone.zoneName}: ${(error as Error).message}. ${deleted} were deleted before (each batch applies all or nothing); the token needs DNS Write on the zone.\n`,
        );
        return 1;
      }
      deleted += records.length;
    }
  }
  io.stdout(`Deleted ${deleted} record(s) of owner ${owner}:\n${lines.join("\n")}\n`);
  return 0;
}

export function renderLive(report: LiveReport, recordsRead: boolean): string {
  const lines = [
    `Deployed stacks (${report.deployed.length}), from the Pulumi backend:`,
    ...(report.deployed.length === 0
      ? ["  none"]
      : report.deployed.map((stack) =>
          stack.enabled === undefined
            ? `  ${stack.stack}: nothing deployed (the stack has no outputs)`
            : stack.enabled
              ? `  ${stack.stack}: owner ${stack.ownerId ?? "?"}, prefix ${JSON.stringify(stack.txtPrefix ?? "")}, zones ${stack.zoneIds.join(", ") || "none"}`
              : `  ${stack.stack}: deploys nothing (enabled: false)`,
        )),
    "",
  ];
  if (!recordsRead) {
    lines.push(
      "Ownership records: not read (no token: set CF_API_TOKEN or --cloudflare-token-file to a token with Zone Read and DNS Read on the zones).",
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push("Ownership records per zone, by owner:");
  for (const zone of report.zones) {
    lines.push(`  ${zone.zoneName} (${zone.zoneId}):`);
    if (zone.owners.length === 0) lines.push("    no ownership records");
    for (const owner of zone.owners) {
      const who =
        owner.declaredBy.length > 0
          ? owner.declaredBy.map((d) => `${d.stack} (${d.as})`).join(", ")
          : "no stack declares this owner";
      lines.push(
        `    ${JSON.stringify(owner.owner)}: ${owner.entries.length} ownership record(s); ${who}`,
      );
      for (const entry of owner.entries) {
        const owned = entry.owned.map((record) => record.type).join(", ");
        lines.push(
          `      ${entry.host ?? entry.txt.name}: ${owned ? owned : "no record (an orphan ownership record)"} (${entry.txt.name})`,
        );
      }
    }
  }
  if (report.undeclaredOwners.length > 0) {
    lines.push(
      "",
      "Owners no stack declares (a decommissioned cluster's records; they block those names for every other cluster):",
    );
    for (const owner of report.undeclaredOwners)
      lines.push(
        `  ${JSON.stringify(owner)}: npm run fleet -- --live --remove-owner ${owner}   (lists them; add --yes to delete them, with a token that has DNS Write)`,
      );
  }
  return `${lines.join("\n")}\n`;
}
