/**
 * The real sops and age binaries, for tests that prove encryption works.
 * A missing tool fails the test with the install command; it never skips.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach } from "vitest";
import { SOPS_INSTALL_HINT, type SopsInvocation } from "../../components/sopsSecret";

const INSTALL_HINTS: Record<string, string> = {
  sops: SOPS_INSTALL_HINT,
  "age-keygen": "apt-get install age",
  dnsmasq: "apt-get install dnsmasq-base",
};

/** Each missing tool with its install command; undefined when all are on PATH. */
export function missingTools(tools: (keyof typeof INSTALL_HINTS)[]): string | undefined {
  const missing = tools.filter(
    (tool) => spawnSync("/bin/sh", ["-c", `command -v ${tool}`]).status !== 0,
  );
  if (missing.length === 0) return undefined;
  return missing
    .map(
      (tool) =>
        `${tool} is required by these tests but is not on PATH; install it with: ${INSTALL_HINTS[tool]}`,
    )
    .join("\n");
}

/**
 * Makes every test of the calling file fail (not skip) while a tool is missing.
 * Returns whether the tools are there, for setup code to check first.
 */
export function requireTools(tools: (keyof typeof INSTALL_HINTS)[]): boolean {
  const problem = missingTools(tools);
  beforeEach(() => {
    if (problem) throw new Error(problem);
  });
  return problem === undefined;
}

export interface AgeIdentity {
  recipient: string;
  secretKey: string;
}

/** A fresh age key pair from `age-keygen`. */
export function newAgeIdentity(): AgeIdentity {
  const result = spawnSync("age-keygen", [], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`age-keygen failed: ${result.stderr}`);
  const recipient = /# public key: (age1\S+)/.exec(result.stdout)?.[1];
  const secretKey = /^(AGE-SECRET-KEY-1\S+)$/m.exec(result.stdout)?.[1];
  if (!recipient || !secretKey) throw new Error("age-keygen printed no key pair");
  return { recipient, secretKey };
}

export interface ShellResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * An environment with no sops key material from the developer's machine, so
 * only the keys a test hands over can decrypt.
 */
export function hermeticEnvironment(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SOPS_")),
  );
  return { ...environment, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "xdg-")), ...overrides };
}

/**
 * Runs an invocation the way the command provider does: `/bin/sh -c <command>`,
 * the invocation's environment on top of the process's, the input on stdin.
 */
export function runInvocation(
  invocation: SopsInvocation,
  stdin: string,
  environment: NodeJS.ProcessEnv = hermeticEnvironment(),
): ShellResult {
  const result = spawnSync("/bin/sh", ["-c", invocation.command], {
    input: stdin,
    env: { ...environment, ...invocation.environment },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Decrypts an encrypted manifest with one age identity, as the operator would. */
export function sopsDecrypt(encryptedYaml: string, identity: AgeIdentity): ShellResult {
  const result = spawnSync(
    "sops",
    [
      "--config",
      "/dev/null",
      "decrypt",
      "--filename-override",
      "secret.yaml",
      "--input-type",
      "yaml",
      "--output-type",
      "yaml",
    ],
    {
      input: encryptedYaml,
      env: hermeticEnvironment({ SOPS_AGE_KEY: identity.secretKey }),
      encoding: "utf8",
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
