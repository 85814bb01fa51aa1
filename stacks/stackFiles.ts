/**
 * The project's stack files, `Pulumi.<stack>.yaml`, read the way the Pulumi
 * CLI hands config to a program (secure values stay encrypted and are not
 * needed offline): fully qualified keys, scalars as strings, lists and
 * objects as JSON. The plan, verify and the fleet read stacks through here;
 * the program reads its siblings through here for the cross-stack checks.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";

export const PROJECT_ROOT = join(__dirname, "..");

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;

/** One stack's config as the program receives it, and the file it came from. */
export interface StackFile {
  stack: string;
  path: string;
  config: Record<string, string>;
}

/** The config of stack `stack`, from its file in the project `root`. */
export function stackConfig(stack: string, root = PROJECT_ROOT): Record<string, string> {
  return readStackFile(stackFilePath(stack, root)).config;
}

/** Where the stack file of `stack` lives (Pulumi.yaml's `stackConfigDir`, else the project root). */
export function stackFilePath(stack: string, root = PROJECT_ROOT): string {
  const directory = stackConfigDirectory(root);
  const yml = join(directory, `Pulumi.${stack}.yml`);
  return existsSync(yml) ? yml : join(directory, `Pulumi.${stack}.yaml`);
}

/** The names of the stacks that have a stack file in the project `root`, sorted. */
export function listStacks(root = PROJECT_ROOT): string[] {
  const directory = stackConfigDirectory(root);
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .map((name) => STACK_FILE.exec(name)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/** Every stack file of the project `root`; a file that cannot be parsed throws, naming it. */
export function readStackFiles(root = PROJECT_ROOT): StackFile[] {
  return listStacks(root).map((stack) => ({
    stack,
    ...readStackFile(stackFilePath(stack, root)),
  }));
}

function readStackFile(path: string): { path: string; config: Record<string, string> } {
  let file: { config?: Record<string, unknown> } | null;
  try {
    file = parse(readFileSync(path, "utf8")) as typeof file;
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const config = Object.fromEntries(
    Object.entries(file?.config ?? {})
      .filter(([, value]) => !isSecureValue(value))
      .map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
  return { path, config };
}

/** Pulumi.yaml's `stackConfigDir`, relative to the project root; default the root itself. */
function stackConfigDirectory(root: string): string {
  const project = join(root, "Pulumi.yaml");
  if (!existsSync(project)) return root;
  const declared = (parse(readFileSync(project, "utf8")) as { stackConfigDir?: unknown } | null)
    ?.stackConfigDir;
  return typeof declared === "string" ? resolve(root, declared) : root;
}

function isSecureValue(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value;
}
