/**
 * What the project's commands (plan, verify, fleet) share on bad usage: the
 * reason, then the usage, and exit code 2; `--help` prints the usage and exits 0.
 */
import { existsSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { listStacks, PROJECT_ROOT, stackFilePath } from "./stackFiles";

/** Bad usage: its message says what was wrong, the command adds its usage. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs, strict, with positionals; an unknown option or a missing value is a UsageError. */
export function parseCommandLine<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (error) {
    // Node's message ends with advice about `--` that does not apply to npm scripts.
    throw new UsageError((error as Error).message.split(". To specify a positional")[0]);
  }
}

/** A whole number ≥ 0 given as `--name VALUE`, or the default. */
export function wholeNumberOption(
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new UsageError(`--${name} must be a whole number ≥ 0; given ${JSON.stringify(value)}`);
  return number;
}

/** Fails unless `stack` has a stack file, listing the stacks that do. */
export function requireStackFile(stack: string, root = PROJECT_ROOT): void {
  if (existsSync(stackFilePath(stack, root))) return;
  const stacks = listStacks(root);
  throw new UsageError(
    `no stack file for stack ${JSON.stringify(stack)} (${stackFilePath(stack, root)}); stacks: ${stacks.join(", ") || "none"}`,
  );
}
