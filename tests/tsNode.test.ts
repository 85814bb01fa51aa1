/**
 * `pulumi up` compiles index.ts with ts-node and the project's own TypeScript.
 * This runs that compilation for real, outside the engine: the program gets as
 * far as validating the config Pulumi would pass in PULUMI_CONFIG.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../stacks/stackFiles";

describe("ts-node", () => {
  it("compiles index.ts with the project's TypeScript and runs up to config validation", () => {
    const result = spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register",
        "-e",
        // As Pulumi's Node.js host runs it: call the exported program, report what it throws.
        'require("./index.ts")().catch((e) => { console.error(e.name + ": " + e.message); process.exitCode = 1; })',
      ],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, PULUMI_CONFIG: JSON.stringify({ "external-dns:policy": "bogus" }) },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(result.stderr).toContain("ConfigError: invalid stack config (4 problems)");
    expect(result.stderr).toContain(
      'external-dns:policy: must be one of: sync, upsert-only, create-only; given "bogus"',
    );
    expect(require("typescript/package.json").version).toMatch(/^5\.9\./);
  });
});
