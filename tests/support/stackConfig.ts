import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const PROJECT_ROOT = join(__dirname, "..", "..");

/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program:
 * fully qualified keys, scalars as strings, lists and objects as JSON.
 */
export function stackConfig(stack: string): Record<string, string> {
  const file = parse(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(file.config).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

/** The `external-dns:` keys of a qualified config map, without the namespace. */
export function projectKeys(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith("external-dns:"))
      .map(([key, value]) => [key.slice("external-dns:".length), value]),
  );
}
