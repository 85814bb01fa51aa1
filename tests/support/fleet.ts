/** Stack files and members for the fleet tests, built from a few config keys. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  type EnabledMember,
  enabledMembers,
  type FleetMember,
  fleetMembers,
} from "../../stacks/fleet";
import type { StackFile } from "../../stacks/stackFiles";

export const AGE_KEY = "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc";
export const NOW = new Date("2026-12-05T12:00:00Z");

/** A stack's `external-dns:` keys (without the namespace), as a stack file would hold them. */
export type StackKeys = Record<string, unknown>;

/** The smallest valid stack: one zone, an owner, the operator's key. */
export function stackKeys(owner: string, keys: StackKeys = {}): StackKeys {
  return { zones: ["example.com"], txtOwnerId: owner, sopsAgeRecipients: [AGE_KEY], ...keys };
}

/** A stack file as stacks/stackFiles.ts reads it: qualified keys, structures as JSON. */
export function stackFile(stack: string, keys: StackKeys): StackFile {
  return {
    stack,
    path: `Pulumi.${stack}.yaml`,
    config: Object.fromEntries(
      Object.entries(keys).map(([key, value]) => [
        `external-dns:${key}`,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    ),
  };
}

export function members(stacks: Record<string, StackKeys>): FleetMember[] {
  return fleetMembers(
    Object.entries(stacks).map(([stack, keys]) => stackFile(stack, keys)),
    NOW,
  );
}

export function enabled(stacks: Record<string, StackKeys>): EnabledMember[] {
  const all = members(stacks);
  const valid = enabledMembers(all);
  if (valid.length !== all.length) throw new Error(`invalid test stacks: ${JSON.stringify(all)}`);
  return valid;
}

/** A project directory with Pulumi.yaml and a stack file per stack (YAML, as a user writes it). */
export function projectDir(
  stacks: Record<string, StackKeys>,
  pulumiYaml = "name: external-dns\n",
): string {
  const dir = mkdtempSync(join(tmpdir(), "fleet-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Pulumi.yaml"), pulumiYaml);
  for (const [stack, keys] of Object.entries(stacks))
    writeFileSync(
      join(dir, `Pulumi.${stack}.yaml`),
      stringify({
        config: Object.fromEntries(
          Object.entries(keys).map(([key, value]) => [`external-dns:${key}`, value]),
        ),
      }),
    );
  return dir;
}
