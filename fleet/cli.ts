/**
 * `npm run fleet -- [STACK...] [--records N] [--hostname NAME]... [--json] [--dir DIR]`:
 * the project's stacks checked against each other, offline (report.ts).
 * `--live` reads the deployed stacks and the zones' ownership records instead
 * (live.ts). Exit code 1 on an error, 2 on bad usage.
 */
import { DEFAULT_RECORDS_PER_ZONE } from "../plan/apiUsage";
import { parseCommandLine, UsageError, wholeNumberOption } from "../stacks/cliUsage";
import { fleetMembers } from "../stacks/fleet";
import { PROJECT_ROOT, readStackFiles, type StackFile } from "../stacks/stackFiles";
import { renderFleet } from "./render";
import { buildFleetReport } from "./report";

export const USAGE = [
  "usage: npm run fleet -- [STACK...] [--records N] [--hostname NAME]... [--json] [--dir DIR]",
  "       npm run fleet -- --live [STACK...] [--cloudflare-token-file PATH] [--json] [--dir DIR]",
  "       npm run fleet -- --live --remove-owner OWNER [--yes] [--cloudflare-token-file PATH] [--dir DIR]",
  "",
  "  STACK                  only these stacks (default: every Pulumi.<stack>.yaml of the project)",
  "  --records N            DNS records per zone for the API estimate (default 1000)",
  "  --hostname NAME        also try NAME where a regex filter decides which names a stack admits",
  "  --json                 print the report as JSON",
  "  --dir DIR              the project directory (default: this project)",
  "  --live                 read the deployed stacks (Pulumi backend) and, with a token that can read",
  "                         the zones (CF_API_TOKEN or --cloudflare-token-file), their ownership records",
  "  --remove-owner OWNER   with --live: the records of an owner no stack declares, and with --yes, delete them",
].join("\n");

export interface FleetIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

export interface FleetArgs {
  stacks: string[];
  records: number;
  hostnames: string[];
  json: boolean;
  dir: string;
  live: boolean;
  tokenFile?: string;
  removeOwner?: string;
  yes: boolean;
  help: boolean;
}

export function parseFleetArgs(argv: string[]): FleetArgs {
  const { values, positionals } = parseCommandLine(argv, {
    records: { type: "string" },
    hostname: { type: "string", multiple: true },
    json: { type: "boolean" },
    dir: { type: "string" },
    live: { type: "boolean" },
    "cloudflare-token-file": { type: "string" },
    "remove-owner": { type: "string" },
    yes: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  const records = wholeNumberOption("records", values.records, DEFAULT_RECORDS_PER_ZONE);
  if (values["remove-owner"] !== undefined && !values.live)
    throw new UsageError("--remove-owner needs --live");
  if (values.yes && values["remove-owner"] === undefined)
    throw new UsageError("--yes only confirms --remove-owner");
  return {
    stacks: positionals,
    records,
    hostnames: values.hostname ?? [],
    json: values.json ?? false,
    dir: values.dir ?? PROJECT_ROOT,
    live: values.live ?? false,
    tokenFile: values["cloudflare-token-file"],
    removeOwner: values["remove-owner"],
    yes: values.yes ?? false,
    help: values.help ?? false,
  };
}

/** The stack files of the project, or of the stacks named; an unknown name is a usage error listing the known ones. */
export function selectStackFiles(dir: string, names: readonly string[]): StackFile[] {
  const files = readStackFiles(dir);
  const unknown = names.filter((name) => !files.some((file) => file.stack === name));
  if (unknown.length > 0)
    throw new UsageError(
      `no stack file for ${unknown.join(", ")} in ${dir}; stacks: ${files.map((file) => file.stack).join(", ") || "none"}`,
    );
  return names.length === 0 ? files : files.filter((file) => names.includes(file.stack));
}

export async function runFleetCli(argv: string[], io: FleetIo): Promise<number> {
  let args: FleetArgs;
  let files: StackFile[];
  try {
    args = parseFleetArgs(argv);
    if (args.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    files = selectStackFiles(args.dir, args.stacks);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.live) {
    const { runLive } = await import("./live");
    return runLive(args, files, io);
  }
  const report = buildFleetReport(fleetMembers(files), {
    recordsPerZone: args.records,
    hostnames: args.hostnames,
  });
  io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderFleet(report, args.dir));
  return report.errors.length > 0 ? 1 : 0;
}

if (require.main === module) {
  runFleetCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`fleet failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
