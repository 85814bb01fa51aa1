/**
 * `npm run fleet` on project directories of stack files written as users
 * write them: the exit codes, what the text and JSON say, and bad usage.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFleetCli, USAGE } from "../fleet/cli";
import type { FleetReport } from "../fleet/report";
import { PROJECT_ROOT } from "../stacks/stackFiles";
import { runInProcess } from "./support/cli";
import { projectDir, stackKeys } from "./support/fleet";

function fleet(argv: string[]) {
  return runInProcess(runFleetCli, argv, { env: {} });
}

const FLEET = {
  hel1: stackKeys("hel1", { domainFilters: ["hel1.example.com"] }),
  fsn1: stackKeys("fsn1", { domainFilters: ["fsn1.example.com"] }),
};

describe("npm run fleet", () => {
  it("passes a fleet whose clusters each have their own owner and names", async () => {
    const dir = projectDir(FLEET);
    const run = await fleet(["--dir", dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Fleet of 2 stack(s) in ${dir}`);
    expect(run.stdout).toContain(
      "each enabled stack has an owner ID no other stack uses on its zones",
    );
    expect(run.stdout).toContain(
      "none: no two stacks admit the same hostname in a zone they share",
    );
    expect(run.stdout).not.toContain("Errors");
    expect(run.stdout).not.toContain("Warnings");
  });

  it("fails on a third stack with hel1's owner ID, and warns about its overlapping filter", async () => {
    const dir = projectDir({
      ...FLEET,
      nbg1: stackKeys("hel1", { domainFilters: ["example.com"] }),
    });
    const run = await fleet(["--dir", dir, "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as FleetReport;
    expect(report.ownerConflicts).toEqual([
      { ownerId: "hel1", stacks: ["hel1", "nbg1"], zones: ["example.com"] },
    ]);
    expect(report.errors).toEqual([
      expect.stringMatching(
        /^owner ID "hel1" is used by stacks hel1 and nbg1 on zone example\.com/,
      ),
    ]);
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^stacks fsn1 and nbg1 both admit names at or under fsn1\.example\.com in zone example\.com/,
      ),
      expect.stringMatching(
        /^stacks hel1 and nbg1 both admit names at or under hel1\.example\.com in zone example\.com/,
      ),
    ]);
    const text = await fleet(["--dir", dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("  ✗ hel1: stacks hel1 and nbg1 on example.com");
    expect(text.stdout).toContain(
      "  ! example.com: hel1 and nbg1 both admit names at or under hel1.example.com",
    );
  });

  it("checks only the stacks named", async () => {
    const dir = projectDir({ ...FLEET, nbg1: stackKeys("hel1") });
    const run = await fleet(["--dir", dir, "fsn1", "nbg1"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Fleet of 2 stack(s)");
    expect(run.stdout).not.toMatch(/^ {2}hel1 /m);
  });

  it("reads the stack files from Pulumi.yaml's stackConfigDir", async () => {
    const dir = projectDir({}, "name: external-dns\nstackConfigDir: stacks-config\n");
    mkdirSync(join(dir, "stacks-config"));
    writeFileSync(
      join(dir, "stacks-config", "Pulumi.hel1.yaml"),
      "config:\n  external-dns:zones: [example.com]\n  external-dns:txtOwnerId: hel1\n  external-dns:sopsAgeRecipients: [age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc]\n",
    );
    const run = await fleet(["--dir", dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}hel1 {2}enabled {2}owner hel1/m);
  });

  it("names the file of a stack file that is not YAML", async () => {
    const dir = projectDir(FLEET);
    writeFileSync(join(dir, "Pulumi.broken.yaml"), "config: [unclosed\n");
    await expect(fleet(["--dir", dir])).rejects.toThrow(`${join(dir, "Pulumi.broken.yaml")}:`);
  });
});

describe("npm run fleet: usage", () => {
  it("--help and -h print the usage and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const run = await fleet([flag]);
      expect(run).toEqual({ code: 0, stdout: `${USAGE}\n`, stderr: "" });
    }
  });

  it("bad usage exits 2 with the reason and the usage", async () => {
    const dir = projectDir(FLEET);
    const cases: [string[], string][] = [
      [["--record", "5"], "Unknown option '--record'"],
      [["--records", "abc"], '--records must be a whole number ≥ 0; given "abc"'],
      [["--remove-owner", "x"], "--remove-owner needs --live"],
      [["nbg1"], `no stack file for nbg1 in ${dir}; stacks: fsn1, hel1`],
    ];
    for (const [argv, reason] of cases) {
      const run = await fleet([...argv, "--dir", dir]);
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.stderr).toContain(reason);
      expect(run.stderr).toContain(USAGE);
    }
  });
});

describe("npm run fleet: the real command", () => {
  it("runs as npm runs it and prints the JSON report", () => {
    const dir = projectDir(FLEET);
    const run = spawnSync(
      "node",
      ["-r", "ts-node/register/transpile-only", "fleet/cli.ts", "--dir", dir, "--json"],
      { cwd: PROJECT_ROOT, encoding: "utf8" },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as FleetReport).stacks.map((stack) => stack.stack)).toEqual([
      "fsn1",
      "hel1",
    ]);
  });
});
