/**
 * `npm run plan -- <stack> [--records N] [--hostname NAME]... [--cluster] [--against-deployed] [--json]`:
 * what `pulumi up` would deploy for a stack, offline; `--hostname` shows the
 * ownership records of those hostnames instead of the samples. `--cluster`
 * also runs, read-only, the checks `pulumi preview` makes against the cluster
 * before any change (Gateway API CRDs, an external-dns already running: a
 * migration's refusal or adoption). `--against-deployed` compares the plan
 * with the stack's deployed state (againstDeployed.ts). Exit code 1 when the stack config is
 * invalid or those checks refuse, 2 on bad usage.
 */
import { type KubeconfigSource, kubernetesApiReader } from "../components/clusterAccess";
import {
  parseCommandLine,
  requireStackFile,
  UsageError,
  wholeNumberOption,
} from "../stacks/cliUsage";
import { PROJECT_ROOT, readStackFiles, stackConfig } from "../stacks/stackFiles";
import { DEFAULT_RECORDS_PER_ZONE } from "./apiUsage";
import { type PulumiRunner, readDeployedState } from "./deployedState";
import type { LiveClusterChecks, OfflineWorld } from "./offline";
import { renderPlan } from "./render";
import { isKubeconfigPlaceholder } from "./world";

const USAGE = [
  "usage: npm run plan -- <stack> [--records N] [--hostname NAME]... [--cluster] [--against-deployed] [--json]",
  "",
  "  <stack>           the stack whose Pulumi.<stack>.yaml to plan",
  "  --records N       DNS records per zone for the API estimate (default 1000)",
  "  --hostname NAME   also show whether NAME is managed, and its ownership records",
  "  --cluster         run the preview's checks against the cluster (read-only)",
  "  --against-deployed",
  "                    compare with the stack's deployed state (pulumi stack export): what changes, and what that does",
  "  --json            the plan as JSON (use npm run -s plan … --json to pipe it)",
].join("\n");

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The stack's config; by default read from Pulumi.<stack>.yaml. */
  loadStack?(stack: string): Record<string, string>;
  /** The cluster `--cluster` reads; by default the Kubernetes API the program would read. */
  liveCluster?: OfflineWorld["liveCluster"];
  /** The project's stack files the stack is checked against; by default this project's. */
  stackFiles?: OfflineWorld["stackFiles"];
  /** Runs the Pulumi CLI for `--against-deployed`; by default `pulumi` from PATH in the project. */
  pulumi?: PulumiRunner;
}

/**
 * The cluster the program's own checks read: `kubernetes:kubeconfig` and
 * `kubernetes:context`, else KUBECONFIG; with `clusterStack` (whose output the
 * plan cannot read), KUBECONFIG.
 */
function readClusterChecks(source: KubeconfigSource): LiveClusterChecks {
  return kubernetesApiReader(planKubeconfigSource(source));
}

/** The program's kubeconfig source, with the ambient kubeconfig for a `clusterStack` output the plan cannot read. */
export function planKubeconfigSource(source: KubeconfigSource): KubeconfigSource {
  return isKubeconfigPlaceholder(source.kubeconfig) ? { context: source.context } : source;
}

export async function runPlanCli(argv: string[], io: CliIo): Promise<number> {
  let args: PlanArgs;
  let config: Record<string, string>;
  try {
    args = parsePlanArgs(argv);
    if (args.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    config = (io.loadStack ?? readStackFile)(args.stack);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    // A stack file that does not parse is not bad usage: its path and the parser's words.
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const { stack, records, values } = args;
  // Loaded once the arguments hold: the program and the Pulumi SDK take a second to import.
  const { buildPlan } = await import("./report");
  const plan = await buildPlan(stack, config, {
    records,
    hostnames: values.hostname,
    liveCluster: values.cluster ? (io.liveCluster ?? readClusterChecks) : undefined,
    stackFiles: io.stackFiles ?? (() => readStackFiles()),
    deployed: values["against-deployed"]
      ? await readDeployedState(stack, PROJECT_ROOT, io.pulumi)
      : undefined,
  });
  io.stdout(values.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
  return plan.valid ? 0 : 1;
}

interface PlanArgs {
  stack: string;
  records: number;
  help: boolean;
  values: {
    json?: boolean;
    hostname?: string[];
    cluster?: boolean;
    "against-deployed"?: boolean;
  };
}

function parsePlanArgs(argv: string[]): PlanArgs {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: "boolean" },
    records: { type: "string" },
    hostname: { type: "string", multiple: true },
    cluster: { type: "boolean" },
    "against-deployed": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  const help = values.help ?? false;
  const [stack, ...extra] = positionals;
  if (!help && stack === undefined) throw new UsageError("no stack given");
  if (extra.length > 0) throw new UsageError(`one stack only; given ${positionals.join(", ")}`);
  const records = wholeNumberOption("records", values.records, DEFAULT_RECORDS_PER_ZONE);
  return { stack: stack ?? "", records, help, values };
}

function readStackFile(stack: string): Record<string, string> {
  requireStackFile(stack);
  return stackConfig(stack);
}

if (require.main === module) {
  runPlanCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
