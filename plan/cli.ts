/**
 * `npm run plan -- <stack> [--records N] [--hostname NAME]... [--json]`: what
 * `pulumi up` would deploy for a stack, offline; `--hostname` shows the
 * ownership records of those hostnames instead of the samples. Exit code 1 when the stack config is invalid,
 * 2 on bad usage.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_RECORDS_PER_ZONE } from "./apiUsage";
import { renderPlan } from "./render";
import { buildPlan } from "./report";
import { stackConfig, stackFilePath } from "./stackFile";

const USAGE = "usage: npm run plan -- <stack> [--records N] [--hostname NAME]... [--json]";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The stack's config; by default read from Pulumi.<stack>.yaml. */
  loadStack?(stack: string): Record<string, string>;
}

export async function runPlanCli(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      records: { type: "string" },
      hostname: { type: "string", multiple: true },
    },
  });
  const [stack, ...extra] = positionals;
  const records = values.records === undefined ? DEFAULT_RECORDS_PER_ZONE : Number(values.records);
  if (!stack || extra.length > 0 || !Number.isInteger(records) || records < 0) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const loadStack = io.loadStack ?? readStackFile;
  let config: Record<string, string>;
  try {
    config = loadStack(stack);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const plan = await buildPlan(stack, config, { records, hostnames: values.hostname });
  io.stdout(values.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
  return plan.valid ? 0 : 1;
}

function readStackFile(stack: string): Record<string, string> {
  if (!existsSync(stackFilePath(stack))) throw new Error(`no stack file ${stackFilePath(stack)}`);
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
