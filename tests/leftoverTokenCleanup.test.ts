/**
 * The leftover-token cleanup as `pulumi up` runs it: a real node process with
 * the command's own loader, the bootstrap token on stdin, against the loopback
 * Cloudflare stand-in; and where the program registers the step.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLEANUP_COMMAND, type CleanupCommandInput } from "../components/leftoverTokenCleanup";
import {
  type CloudflareApi,
  DEFAULT_ZONES,
  startCloudflareApi,
} from "../e2e/support/cloudflareApi";
import { runStep } from "./support/cli";
import { MINTED_TOKEN, resolved, TOKEN_ID } from "./support/mocks";
import { runProgram } from "./support/program";

const [COM] = DEFAULT_ZONES;
const NAME = "external-dns staging (owner staging, rotated 2026-11-20)";

let api: CloudflareApi;

beforeEach(async () => {
  api = await startCloudflareApi();
});

afterEach(async () => {
  await api.close();
});

function input(keepId: string, overrides: Partial<CleanupCommandInput> = {}): CleanupCommandInput {
  return { bootstrapToken: api.bootstrapToken, baseUrl: api.url, name: NAME, keepId, ...overrides };
}

describe("the cleanup command", () => {
  it("deletes every other token of the stack's token name, and nothing else", async () => {
    const leftover = api.state.mintDnsToken(NAME, [COM.id]);
    const kept = api.state.mintDnsToken(NAME, [COM.id]);
    const rotatedAway = api.state.mintDnsToken(
      "external-dns staging (owner staging, rotated 2026-08-22)",
      [COM.id],
    );
    const unrelated = api.state.mintDnsToken("terraform ci", [COM.id]);
    const run = await runStep(CLEANUP_COMMAND, input(kept.id));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `Deleted 1 token(s) named "${NAME}" that no stack holds: ${leftover.id}`,
    );
    expect(
      api.state
        .tokens()
        .map((token) => token.id)
        .sort(),
    ).toEqual([kept.id, rotatedAway.id, unrelated.id].sort());
    expect(api.requests.count({ kind: "tokens.delete" })).toBe(1);
    expect(`${run.stdout}${run.stderr}`).not.toContain(api.bootstrapToken);
  });

  it("says so when there is nothing to delete", async () => {
    const kept = api.state.mintDnsToken(NAME, [COM.id]);
    const run = await runStep(CLEANUP_COMMAND, input(kept.id));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual([
      `Kept token ${kept.id}.`,
      `No other token is named "${NAME}".`,
    ]);
    expect(api.requests.count({ kind: "tokens.delete" })).toBe(0);
  });

  it("never deletes the token its previous run kept: a replacement under the same name still holds it", async () => {
    const replaced = api.state.mintDnsToken(NAME, [COM.id]);
    const leftover = api.state.mintDnsToken(NAME, [COM.id]);
    const minted = api.state.mintDnsToken(NAME, [COM.id]);
    process.env.PULUMI_COMMAND_STDOUT = `Kept token ${replaced.id}.\nNo other token is named "${NAME}".\n`;
    try {
      const run = await runStep(CLEANUP_COMMAND, input(minted.id));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(
        `Deleted 1 token(s) named "${NAME}" that no stack holds: ${leftover.id}`,
      );
    } finally {
      delete process.env.PULUMI_COMMAND_STDOUT;
    }
    expect(
      api.state
        .tokens()
        .map((token) => token.id)
        .sort(),
    ).toEqual([replaced.id, minted.id].sort());
  });

  it("fails, naming Cloudflare's answer and how to list the leftovers, when it cannot delete", async () => {
    const leftover = api.state.mintDnsToken(NAME, [COM.id]);
    const kept = api.state.mintDnsToken(NAME, [COM.id]);
    api.injectFault({ kinds: "tokens.delete", fault: { type: "status", status: 503 } });
    const run = await runStep(CLEANUP_COMMAND, input(kept.id));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `Deleting leftover tokens failed: DELETE /user/tokens/${leftover.id}: Cloudflare answered 503.`,
    );
    expect(run.stderr).toContain(
      "npm run verify -- <stack> --bootstrap-token-file PATH lists them",
    );
    expect(run.stderr).not.toContain(api.bootstrapToken);
  });

  it("fails without a bootstrap token, saying where it looks", async () => {
    const saved = process.env.CLOUDFLARE_API_TOKEN;
    delete process.env.CLOUDFLARE_API_TOKEN;
    try {
      const run = await runStep(CLEANUP_COMMAND, input("x", { bootstrapToken: undefined }));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        "no bootstrap token (cloudflare:apiToken or CLOUDFLARE_API_TOKEN)",
      );
    } finally {
      if (saved !== undefined) process.env.CLOUDFLARE_API_TOKEN = saved;
    }
  });
});

describe("the cleanup step in the program", () => {
  const BOOTSTRAP = "bootstrap-token-from-stack-config-0123456789";
  let run: Awaited<ReturnType<typeof runProgram>>;
  beforeAll(async () => {
    run = await runProgram("staging", {
      "external-dns:zones": JSON.stringify(["example.net"]),
      "external-dns:txtOwnerId": "staging",
      "external-dns:sopsAgeRecipients": JSON.stringify([
        "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc",
      ]),
      "cloudflare:apiToken": BOOTSTRAP,
    });
  });

  it("runs again whenever the token's ID changes, keeping that token", async () => {
    const step = run.record
      .ofType("command:local:Command")
      .find((resource) => resource.inputs.create === CLEANUP_COMMAND);
    // No trigger (a changed trigger replaces the step): the token ID is in stdin, so the step
    // is updated, and reads the token it kept last time.
    expect(step?.inputs.triggers).toBeUndefined();
    expect(step?.inputs.update).toBe(CLEANUP_COMMAND);
    expect(step?.inputs.addPreviousOutputInEnv).toBe(true);
    const input = JSON.parse(String(step?.inputs.stdin)) as CleanupCommandInput;
    expect(input.keepId).toBe(TOKEN_ID);
    expect(input.name).toMatch(/^external-dns staging \(owner staging/);
  });

  it("gets the bootstrap token on stdin, as a secret, and never the minted token", async () => {
    const step = run.constructed.find(
      (resource) =>
        resource.type === "command:local:Command" && resource.props.create === CLEANUP_COMMAND,
    );
    const stdin = step?.props.stdin as pulumi.Output<string>;
    expect(await pulumi.isSecret(stdin)).toBe(true);
    const text = await resolved(pulumi.unsecret(stdin));
    expect(JSON.parse(text).bootstrapToken).toBe(BOOTSTRAP);
    expect(text).not.toContain(MINTED_TOKEN);
  });
});
