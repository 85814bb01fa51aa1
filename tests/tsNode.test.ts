/**
 * `pulumi up` compiles index.ts with ts-node and the project's own TypeScript,
 * transpile-only (tsconfig.runtime.json; `npm run typecheck` checks the types).
 * This runs that compilation for real, outside the engine: the program gets as
 * far as validating the config Pulumi would pass in PULUMI_CONFIG.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../stacks/stackFiles";

describe("ts-node", () => {
  it("compiles index.ts with the project's TypeScript and runs up to config validation", () => {
    const result = spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "-e",
        // As Pulumi's Node.js host runs it: call the exported program, report what it throws.
        'require("./index.ts")().catch((e) => { console.error(e.name + ": " + e.message); process.exitCode = 1; })',
      ],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          PULUMI_CONFIG: JSON.stringify({ "external-dns:policy": "bogus" }),
          // As Pulumi's Node.js host tells ts-node (Pulumi.yaml: runtime.options.tsconfig).
          TS_NODE_PROJECT: "tsconfig.runtime.json",
        },
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

describe("the Pulumi CLI's compilation", () => {
  it("is transpile-only: Pulumi.yaml names tsconfig.runtime.json, whose own compilerOptions set noCheck", () => {
    const project = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
      runtime: { options: { typescript: boolean; tsconfig: string } };
    };
    expect(project.runtime.options).toEqual({
      typescript: true,
      tsconfig: "tsconfig.runtime.json",
    });
    // What Pulumi's Node.js host (cmd/run/run.js) reads to decide ts-node's transpileOnly.
    const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as {
      loadTypeScriptCompilerOptions(path: string): { noCheck?: boolean };
    };
    expect(loadTypeScriptCompilerOptions(join(PROJECT_ROOT, "tsconfig.runtime.json")).noCheck).toBe(
      true,
    );
  });

  it("compiles a dynamic import() to require(), as tsconfig.json does, with the options Pulumi's host passes", () => {
    // As @pulumi/pulumi's cmd/run/run.js registers ts-node for a CommonJS TypeScript program.
    const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as {
      loadTypeScriptCompilerOptions(path: string): Record<string, unknown>;
    };
    const project = join(PROJECT_ROOT, "tsconfig.runtime.json");
    const compilerOptions = loadTypeScriptCompilerOptions(project);
    const service = (require("ts-node") as typeof import("ts-node")).create({
      transpileOnly: compilerOptions.noCheck as boolean,
      project,
      compilerOptions: {
        target: "ES2020",
        module: "nodenext",
        moduleResolution: "nodenext",
        sourceMap: "true",
        ...compilerOptions,
      },
    });
    const output = service.compile(
      'export const load = () => import("./components/externalDns");\n',
      join(PROJECT_ROOT, "dynamic.ts"),
    );
    expect(output).toContain('require("./components/externalDns")');
    expect(output).not.toMatch(/[^.\w]import\(/);
  });

  it("leaves npm run typecheck as strict as before: tsconfig.json checks types", () => {
    const { compilerOptions } = JSON.parse(
      readFileSync(join(PROJECT_ROOT, "tsconfig.json"), "utf8"),
    ) as { compilerOptions: Record<string, unknown> };
    expect(compilerOptions.noCheck).toBeUndefined();
    expect(compilerOptions.strict).toBe(true);
  });
});
