/**
 * A stack's deployed state, read through the Pulumi CLI the user is logged in
 * with (`pulumi stack export`), so every backend works: Pulumi Cloud, a
 * self-managed one (`file://`, `s3://`, …), whatever `pulumi login` or
 * PULUMI_BACKEND_URL chose. The export keeps secrets encrypted, and reading it
 * needs no passphrase: the plan never sees a secret's value.
 */
import { execFile } from "node:child_process";

/** One resource of the state, as `pulumi stack export` prints it. */
export interface DeployedResource {
  urn: string;
  type: string;
  custom: boolean;
  id?: string;
  parent?: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface DeployedState {
  stack: string;
  /** When the last update finished (the checkpoint's manifest time), if the export says. */
  updatedAt?: string;
  resources: DeployedResource[];
}

/** The state, or why it could not be read. */
export type DeployedStateReading =
  | { kind: "read"; state: DeployedState }
  | { kind: "unreadable"; reason: string };

/** Runs `pulumi <args>` in the project; resolves with its stdout, rejects with an Error naming the cause. */
export type PulumiRunner = (args: string[], cwd: string) => Promise<string>;

/** The marker Pulumi puts on a secret value in state (sdk/go/common/resource/properties.go: SecretSig). */
export const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";

export function isStateSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && SECRET_SIGNATURE_KEY in value;
}

export async function readDeployedState(
  stack: string,
  projectDir: string,
  run: PulumiRunner = runPulumi,
): Promise<DeployedStateReading> {
  let exported: string;
  try {
    exported = await run(["stack", "export", "--stack", stack, "--non-interactive"], projectDir);
  } catch (error) {
    return { kind: "unreadable", reason: (error as Error).message };
  }
  return { kind: "read", state: parseStackExport(stack, exported) };
}

interface StackExport {
  deployment?: {
    manifest?: { time?: string };
    resources?: Partial<DeployedResource>[];
  };
}

export function parseStackExport(stack: string, exported: string): DeployedState {
  const { deployment } = JSON.parse(exported) as StackExport;
  return {
    stack,
    updatedAt: deployment?.manifest?.time,
    resources: (deployment?.resources ?? []).map((resource) => ({
      urn: String(resource.urn),
      type: String(resource.type),
      custom: resource.custom ?? false,
      id: resource.id,
      parent: resource.parent,
      inputs: resource.inputs ?? {},
      outputs: resource.outputs ?? {},
    })),
  };
}

/** `pulumi` from PATH; its own error line (e.g. "no stack named …", a login it needs) becomes the reason. */
export const runPulumi: PulumiRunner = pulumiCli("pulumi");

export function pulumiCli(executable: string): PulumiRunner {
  return (args, cwd) =>
    new Promise((resolve, reject) => {
      const env = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" };
      execFile(
        executable,
        args,
        { cwd, env, maxBuffer: 256 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          if ((error as NodeJS.ErrnoException).code === "ENOENT")
            return reject(new Error(`the Pulumi CLI (${executable}) is not on PATH`));
          const said = stderr
            .split("\n")
            .map((line) => line.trim())
            .find((line) => line.startsWith("error:"));
          const command = `pulumi ${args.slice(0, 2).join(" ")}`;
          reject(new Error(`${command} failed: ${said ?? (stderr.trim() || error.message)}`));
        },
      );
    });
}
