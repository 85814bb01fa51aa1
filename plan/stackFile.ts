import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const PROJECT_ROOT = join(__dirname, "..");

/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program
 * (secure values stay encrypted and are not needed offline):
 * fully qualified keys, scalars as strings, lists and objects as JSON.
 */
export function stackConfig(stack: string): Record<string, string> {
  const file = parse(readFileSync(stackFilePath(stack), "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  return Object.fromEntries(
    Object.entries(file?.config ?? {})
      .filter(([, value]) => !isSecureValue(value))
      .map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

export function stackFilePath(stack: string): string {
  return join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
}

function isSecureValue(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value;
}
