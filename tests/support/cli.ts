import { spawn, spawnSync } from "node:child_process";
import { PROJECT_ROOT } from "../../stacks/stackFiles";

/** Runs one of the project's TypeScript CLIs the way its npm script does. */
export function runScript(script: string, ...args: string[]) {
  return runScriptWith({}, script, ...args);
}

/** runScript with these environment variables set (undefined: removed). */
export function runScriptWith(
  env: Record<string, string | undefined>,
  script: string,
  ...args: string[]
) {
  const environment = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete environment[key];
  return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: environment,
  });
}

/**
 * Runs a step's command line from the project directory, as the command
 * provider does (`sh -c`), with `stdin` written as JSON (or as given, when a
 * string). Asynchronous: the stand-ins it talks to answer from this process.
 */
export function runStep(
  commandLine: string,
  stdin: unknown,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", commandLine], { cwd: PROJECT_ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(typeof stdin === "string" ? stdin : JSON.stringify(stdin));
  });
}

/** What a CLI printed, and the exit code it returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a CLI's entry function (`runPlanCli`, `runFleetCli`) in this process,
 * with `io` for everything but its output, which is captured.
 */
export async function runInProcess<
  Io extends { stdout(text: string): void; stderr(text: string): void },
>(
  run: (argv: string[], io: Io) => Promise<number>,
  argv: string[],
  io: Omit<Io, "stdout" | "stderr">,
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    ...io,
    stdout: (text: string) => {
      stdout += text;
    },
    stderr: (text: string) => {
      stderr += text;
    },
  } as Io);
  return { code, stdout, stderr };
}
