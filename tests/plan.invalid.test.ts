/**
 * `npm run plan` on an invalid stack config: every error, the warnings, exit
 * code 1, in both output forms.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runPlanCli } from "../plan/cli";
import { renderPlan } from "../plan/render";
import type { Plan } from "../plan/report";
import { stackConfig } from "../stacks/stackFiles";
import { runInProcess } from "./support/cli";
import { collectUnhandledRejections } from "./support/program";

collectUnhandledRejections();

const invalid = {
  ...stackConfig("production"),
  "external-dns:zones": JSON.stringify([{ name: "example.com", id: "not-an-id" }]),
  "external-dns:domainFilters": JSON.stringify(["example.com", "example.net"]),
  "external-dns:txtPrefix": "txt-",
  "external-dns:interval": "5 minutes",
};

function runCli(...args: string[]) {
  return runInProcess(runPlanCli, args, { loadStack: () => invalid });
}

let cli: Awaited<ReturnType<typeof runCli>>;
let json: Plan;
let human: string;

beforeAll(async () => {
  // The program runs once per process: the human form is rendered from the same plan.
  cli = await runCli("production", "--json");
  json = JSON.parse(cli.stdout);
  human = renderPlan(json);
});

describe("plan with an invalid stack config", () => {
  it("exits 1 and lists every error and warning", () => {
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe("");
    expect(human).toContain("Invalid stack config (3):");
    expect(human).toContain(
      '  ✗ external-dns:zones[0].id: must be a Cloudflare zone ID: 32 lowercase hex characters; given "not-an-id"',
    );
    expect(human).toContain(
      '  ✗ external-dns:interval: must be a positive Go duration such as 1m, 90s or 1h30m; given "5 minutes"',
    );
    expect(human).toContain("  ✗ external-dns:domainFilters[1]: lies outside every zone");
    expect(human).toMatch(
      /Warnings \(1\):\n {2}! external-dns:txtPrefix: "txt-" lacks %\{record_type\}/,
    );
    expect(human).not.toContain("Cloudflare token:");
  });

  it("says the same in JSON", () => {
    expect(json.valid).toBe(false);
    expect(json.errors).toHaveLength(3);
    expect(json.warnings).toEqual([expect.stringContaining("external-dns:txtPrefix")]);
    expect(json.resources).toEqual([]);
  });
});
