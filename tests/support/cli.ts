import { spawnSync } from "node:child_process";
import { PROJECT_ROOT } from "../../plan/stackFile";

/** Runs one of the project's TypeScript CLIs the way its npm script does. */
export function runScript(script: string, ...args: string[]) {
  return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
}
