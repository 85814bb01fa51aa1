/**
 * Bad usage of plan and verify: the reason, then the usage, exit code 2;
 * `--help` and `-h` print the usage and exit 0. (fleet: tests/fleet.cli.test.ts.)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlanCli } from "../plan/cli";
import { listStacks, stackConfig } from "../stacks/stackFiles";
import { runInProcess, runScript } from "./support/cli";

const PLAN_USAGE = "usage: npm run plan -- <stack> [--records N]";
const VERIFY_USAGE = "usage: npm run verify -- <stack>";
const STACKS = listStacks().join(", ");

describe("npm run plan: usage", () => {
  it("--help and -h print the usage and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const run = await runInProcess(runPlanCli, [flag], {});
      expect(run.code, flag).toBe(0);
      expect(run.stdout).toContain(PLAN_USAGE);
      expect(run.stdout).toContain("--json            the plan as JSON (use npm run -s plan");
      expect(run.stderr).toBe("");
    }
  });

  it("bad usage exits 2 with the reason, then the usage", async () => {
    const cases: [string[], string][] = [
      [[], "no stack given"],
      [["production", "--record", "5"], "Unknown option '--record'"],
      [["production", "--records", "abc"], '--records must be a whole number ≥ 0; given "abc"'],
      [["production", "staging"], "one stack only; given production, staging"],
      [["nosuch"], `no stack file for stack "nosuch"`],
    ];
    for (const [argv, reason] of cases) {
      const run = await runInProcess(runPlanCli, argv, {});
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.stderr.split("\n")[0], argv.join(" ")).toContain(reason);
      expect(run.stderr).toContain(PLAN_USAGE);
      expect(run.stdout).toBe("");
    }
  });

  it("an unknown stack lists the stacks that exist", async () => {
    const run = await runInProcess(runPlanCli, ["nosuch"], {});
    expect(run.stderr).toContain(`; stacks: ${STACKS}\n`);
  });

  it("a stack file that is not YAML: its path and the parser's reason, exit 1, no usage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "broken-stack-"));
    const file = join(dir, "Pulumi.broken.yaml");
    writeFileSync(file, "config:\n  external-dns:zones: [unclosed\n");
    const run = await runInProcess(runPlanCli, ["broken"], {
      loadStack: (stack: string) => stackConfig(stack, dir),
    });
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toBe(
      `${file}: Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1:`,
    );
    expect(run.stderr).not.toContain(PLAN_USAGE);
  });
});

describe("npm run plan: misspelt keys", () => {
  it("warns about a key under a misspelt namespace, naming the key it meant", async () => {
    const run = await runInProcess(runPlanCli, ["production"], {
      loadStack: () => ({ ...stackConfig("production"), "externaldns:zones": '["example.com"]' }),
    });
    expect(run.stdout).toContain(
      "! externaldns:zones: namespace externaldns is not read by this program (it reads external-dns:, cloudflare:, kubernetes:), so this key is ignored; did you mean external-dns:zones?",
    );
  });
});

describe("npm run verify: usage", () => {
  it("--help prints the usage and exits 0", () => {
    const run = runScript("verify/cli.ts", "--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(VERIFY_USAGE);
  });

  it("a misspelt option exits 2 with the reason and the usage, before touching any cluster", () => {
    const run = runScript("verify/cli.ts", "production", "--kubecfg", "x");
    expect(run.status).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe("Unknown option '--kubecfg'");
    expect(run.stderr).toContain(VERIFY_USAGE);
  });

  it("an unknown stack lists the stacks that exist", () => {
    const run = runScript("verify/cli.ts", "nosuch");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`no stack file for stack "nosuch"`);
    expect(run.stderr).toContain(`; stacks: ${STACKS}\n`);
  });
});
