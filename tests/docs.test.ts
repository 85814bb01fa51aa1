/**
 * The README stays in step with the code: its config table lists exactly the
 * options, and CI runs the test command it gives.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OPTION_KEYS } from "../stacks/options";
import { PROJECT_ROOT } from "../stacks/stackFiles";

const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

function configTableKeys(): string[] {
  const section = readme.split("## Configuration")[1].split("\n## ")[0];
  return [...section.matchAll(/^\| `([A-Za-z]+)`\s*\|/gm)].map(([, key]) => key);
}

describe("README", () => {
  it("documents exactly the options of stacks/options.ts, in the same order", () => {
    expect(configTableKeys()).toEqual(OPTION_KEYS);
  });

  it("starts a fresh machine with the offline plan, then the test command", () => {
    const quickstart = readme.split("## Quickstart")[1];
    const firstBlock = quickstart.split("```sh\n")[1].split("```")[0];
    const commands = firstBlock
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean);
    expect(commands).toEqual(["npm ci", "npm run plan -- production", "npm test"]);
  });

  it("gives npm test and npm run test:e2e as the test commands, and .ci/run runs both", () => {
    const ciRun = readFileSync(join(PROJECT_ROOT, ".ci", "run"), "utf8");
    expect(readme).toMatch(/^npm test\b/m);
    expect(ciRun).toMatch(/^npm test\b/m);
    expect(readme).toMatch(/^npm run test:e2e\b/m);
    expect(ciRun).toMatch(/^\s*npm run test:e2e\b/m);
  });

  it("pins the same sops version as the component's install hint", async () => {
    const { SOPS_VERSION } = await import("../components/sopsSecret");
    expect(readFileSync(join(PROJECT_ROOT, ".ci", "install-tools.sh"), "utf8")).toContain(
      `SOPS_VERSION=${SOPS_VERSION}`,
    );
    expect(readme).toContain(`sops@${SOPS_VERSION}`);
  });
});
