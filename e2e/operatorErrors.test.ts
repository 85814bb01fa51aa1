/**
 * When sops-secrets-operator cannot produce the Secret, `pulumi up` fails within
 * a bounded time, quoting the operator's status and saying what to do:
 * (a) the operator's key is not among the recipients; (b) a Secret of that name
 * was made by hand. The two stacks are independent and run side by side.
 */
import { spawnSync } from "node:child_process";
import { describe, it } from "vitest";
import {
  secretToken,
  sopsSecretStatus,
  TOKEN_SECRET_KEY,
  TOKEN_SECRET_NAME,
} from "./support/objects";
import { describeRun, type RunResult } from "./support/project";
import { type StackSuite, useStackSuite } from "./support/stackSuite";

/** `pulumi up` must give up by then; it is killed a little later. */
const BOUND_MS = 120_000;
const HAND_MADE_VALUE = "made-by-hand";

const foreignKey = useStackSuite({
  stack: "operator-foreign-key",
  tools: ["age-keygen"],
  prepare: async (suite) => {
    const generated = spawnSync("age-keygen", [], { encoding: "utf8" });
    const recipient = /# public key: (age1\S+)/.exec(generated.stdout)?.[1];
    if (!recipient) throw new Error(`age-keygen printed no public key: ${generated.stderr}`);
    await suite.project.configure({ "external-dns:sopsAgeRecipients": [recipient] });
  },
});

const handMadeSecret = useStackSuite({
  stack: "operator-unowned-secret",
  prepare: async (suite) => {
    await suite.cluster.create(
      { apiVersion: "v1", plural: "namespaces" },
      {
        metadata: { name: suite.namespace },
      },
    );
    await suite.cluster.create(
      { apiVersion: "v1", plural: "secrets", namespace: suite.namespace },
      {
        metadata: { name: TOKEN_SECRET_NAME },
        stringData: { [TOKEN_SECRET_KEY]: HAND_MADE_VALUE },
      },
    );
  },
});

const ups = new Map<StackSuite, RunResult>();

/** Runs `pulumi up`, killed shortly after the bound, and reports what the operator said meanwhile. */
async function boundedUp(suite: StackSuite): Promise<{ up: RunResult; status?: string }> {
  const up = await suite.project.up([], { timeoutMs: BOUND_MS + 10_000 });
  ups.set(suite, up);
  return { up, status: await sopsSecretStatus(suite.cluster, suite.namespace) };
}

describe("operator errors", () => {
  it.concurrent("(a) the operator's key is not a recipient: up fails in time, quoting the operator and naming the cause", async ({
    expect,
  }) => {
    const { up, status } = await boundedUp(foreignKey);
    expect(status, "the operator's status on the SopsSecret").toBe("Decryption error");
    expect(up.timedOut, `still running after ${BOUND_MS / 1000} s; ${describeRun(up)}`).toBe(false);
    expect(up.exitCode, describeRun(up)).not.toBe(0);
    expect(up.durationMs).toBeLessThan(BOUND_MS);
    expect(up.output, describeRun(up)).toContain("Decryption error");
    const cause = up.output
      .split("\n")
      .filter((line) => line.includes("sopsAgeRecipients") && /\bkey\b/i.test(line));
    expect(
      cause,
      "a line naming the cause: the operator's key is not in sopsAgeRecipients",
    ).not.toEqual([]);
  });

  it.concurrent("(b) a hand-made Secret of that name: up fails fast, quoting the operator and naming the remedy", async ({
    expect,
  }) => {
    const { up, status } = await boundedUp(handMadeSecret);
    expect(status, "the operator's status on the SopsSecret").toMatch(
      /^Child secret is not owned by controller/,
    );
    expect(await secretToken(handMadeSecret.cluster, handMadeSecret.namespace)).toBe(
      HAND_MADE_VALUE,
    );
    expect(up.timedOut, `still running after ${BOUND_MS / 1000} s; ${describeRun(up)}`).toBe(false);
    expect(up.exitCode, describeRun(up)).not.toBe(0);
    expect(up.durationMs).toBeLessThan(BOUND_MS);
    expect(up.output, describeRun(up)).toContain("Child secret is not owned by controller");
    const remedy = up.output
      .split("\n")
      .filter((line) => /delete/i.test(line) && line.includes(TOKEN_SECRET_NAME));
    expect(remedy, "a line saying to delete the Secret cloudflare-api-token").not.toEqual([]);
  });

  // Beyond the two cases: like a config error, an operator error is a message, not a crash.
  it("both failures print the operator's message without a stack trace", ({ expect }) => {
    for (const suite of [foreignKey, handMadeSecret]) {
      const up = ups.get(suite);
      expect(up, `pulumi up of ${suite.stack} must have run`).toBeDefined();
      const trace = (up?.output ?? "").split("\n").filter((line) => /^\s+at /.test(line));
      expect(trace, `stack trace in the output of ${suite.stack}`).toEqual([]);
      expect(up?.output).not.toMatch(/unhandled exception/i);
    }
  });
});
