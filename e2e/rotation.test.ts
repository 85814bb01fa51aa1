/**
 * Token rotation with `tokenRotationDays: 30`: an `up` just after the rotation
 * date (the program's clock shifted by clock.cjs, the Cloudflare stand-in's by
 * as much) replaces the token without a gap: the new one is minted first, the
 * cluster moves to it, the old one is deleted last; the pods roll once; another
 * `up` at that time changes nothing. All along, the real external-dns
 * reconciles every 2 s: no request fails, no record goes missing, and no token
 * is used in its final minutes.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "./support/cloudflareApi";
import { type KubeObject, waitFor } from "./support/cluster";
import { sha256 } from "./support/externalDns";
import { type LiveDns, useLiveDns } from "./support/liveDns";
import {
  availableDeployment,
  replicaSets,
  secretToken,
  sopsSecretStatus,
  tokenSecretRef,
} from "./support/objects";
import { describeRun, type RunResult } from "./support/project";
import { loadBalancerService } from "./support/sources";
import { STACK_ZONES, useStackSuite } from "./support/stackSuite";

const suite = useStackSuite({
  stack: "rotation",
  tools: ["external-dns-v0.22.0"],
  config: {
    "external-dns:tokenRotationDays": 30,
    "external-dns:sources": ["service"],
    "external-dns:interval": "2s",
  },
});
const live = useLiveDns(suite);
let running: LiveDns | undefined;

const HOST = "web.example.com";
const ZONE = STACK_ZONES[0];
/** A request made with a token this close to its expiry counts as a failure. */
const FINAL_MINUTES_MS = 10 * 60_000;

/** One hour past the next rotation date: set by the first test from the stack's outputs. */
let shiftMs = 0;

/** The program's clock, shifted (fractional days) to one hour past the rotation date. */
function shiftedClock() {
  return {
    NODE_OPTIONS:
      `${process.env.NODE_OPTIONS ?? ""} --require ${join(__dirname, "support", "clock.cjs")}`.trim(),
    E2E_CLOCK_SHIFT_DAYS: String(shiftMs / 86_400_000),
  };
}

function dns(): LiveDns {
  if (!running) throw new Error("external-dns must be running (see the first test)");
  return running;
}

/** The host's A record and its ownership record, as the stand-in has them now. */
function hostRecords(): string[] {
  return suite.api.state
    .records(ZONE.id)
    .filter((record) => record.name === HOST || record.name === `externaldns-a.${HOST}`)
    .map((record) => `${record.type} ${record.name}`)
    .sort();
}

/** What the first deployment left, to compare the rotation against. */
interface Before {
  tokenId: string;
  deployment: KubeObject;
  replicaSets: number;
  requests: number;
}

interface PlannedChange {
  operation: string;
  type: string;
  name: string;
}

/** `npm run plan -- rotation --against-deployed --json`, at the shifted time of the last up. */
async function planAgainstDeployed() {
  const plan = await suite.project.run(
    "npm",
    ["run", "--silent", "plan", "--", suite.stack, "--against-deployed", "--json"],
    { env: shiftedClock(), timeoutMs: 120_000 },
  );
  expect(plan.exitCode, describeRun(plan)).toBe(0);
  return JSON.parse(plan.stdout);
}

/**
 * The resources a `pulumi preview --json` changes, as `<op> <type> <name>`:
 * a replacement's steps (create-replacement, replace, delete-replaced) count
 * as one replace; the stack itself and unchanged resources are left out.
 */
function previewChanges(previewJson: string): string[] {
  const steps = (JSON.parse(previewJson).steps ?? []) as { op: string; urn: string }[];
  const byUrn = new Map<string, Set<string>>();
  for (const step of steps) byUrn.set(step.urn, (byUrn.get(step.urn) ?? new Set()).add(step.op));
  return [...byUrn]
    .map(([urn, ops]) => {
      const [, , qualifiedType, name] = urn.split("::");
      const type = qualifiedType.split("$").pop() ?? qualifiedType;
      const op = ops.has("replace")
        ? "replace"
        : [...ops].find((candidate) => candidate !== "same");
      return op && type !== "pulumi:pulumi:Stack" ? `${op} ${type} ${name}` : undefined;
    })
    .filter((change): change is string => change !== undefined)
    .sort();
}

const TOKEN_WRITES = new Set(["tokens.create", "tokens.update", "tokens.delete"]);

function onlyToken() {
  const tokens = suite.api.state.tokens();
  expect(tokens.map((token) => token.name)).toHaveLength(1);
  return tokens[0];
}

describe("token rotation", () => {
  let first: Before | undefined;
  let rotation: RunResult | undefined;
  const firstDeployment = (): Before => {
    if (!first) throw new Error("the first up must have succeeded (see the first test)");
    return first;
  };

  it("the first up mints the token of the current rotation period", async () => {
    const up = await suite.project.up();
    expect(up.exitCode, describeRun(up)).toBe(0);
    const token = onlyToken();
    expect(token.name).toMatch(/rotated \d{4}-\d{2}-\d{2}/);
    const outputs = await suite.project.outputs();
    const nextRotation = Date.parse(String(outputs.tokenNextRotation));
    expect(nextRotation).toBeGreaterThan(Date.now());
    expect(nextRotation).toBeLessThanOrEqual(Date.now() + 30 * 24 * 3600 * 1000);
    expect(Date.parse(token.expiresOn ?? "")).toBeGreaterThan(nextRotation);
    expect(
      (await secretToken(suite.cluster, suite.namespace)) === suite.api.state.tokenValue(token.id),
    ).toBe(true);
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    first = {
      tokenId: token.id,
      deployment,
      replicaSets: (await replicaSets(suite.cluster, deployment)).length,
      requests: suite.api.requests.all.length,
    };
    expect(first.replicaSets).toBe(1);

    shiftMs = nextRotation - Date.now() + 3_600_000;
    running = await live.start();
    await dns().pods.waitForProcess();
    await loadBalancerService(suite.cluster, suite.namespace, "web", HOST, [
      { ip: "203.0.113.50" },
    ]);
    await waitFor(`external-dns to publish ${HOST}`, 60_000, async () =>
      hostRecords().length === 2 ? true : undefined,
    );
  });

  it("an up just after the rotation date mints a new token before it deletes the old one, which goes last", async () => {
    const { tokenId, requests } = firstDeployment();
    const old = onlyToken();
    suite.api.state.shiftClock(shiftMs);
    const published = [`A ${HOST}`, `TXT externaldns-a.${HOST}`];
    const gaps: string[] = [];
    const sampler = setInterval(() => {
      const seen = hostRecords();
      if (seen.join() !== published.join())
        gaps.push(`${new Date().toISOString()}: ${seen.join(", ")}`);
    }, 100);
    try {
      rotation = await suite.project.up([], { env: shiftedClock() });
      expect(rotation.exitCode, describeRun(rotation)).toBe(0);
      const fresh = sha256(suite.api.state.tokenValue(onlyToken().id) ?? "");
      await dns().pods.waitForProcess((process) => process.tokenSha256 === fresh);
      await dns().waitForReconciles(2, ZONE.id);
    } finally {
      clearInterval(sampler);
    }
    expect(gaps, "the record or its ownership record went missing").toEqual([]);

    const used = suite.api.requests.all
      .slice(requests)
      .filter((request) => request.tokenId !== "bootstrap");
    expect(
      used
        .filter((request) => request.status >= 400)
        .map((request) => `${request.kind} ${request.status}`),
    ).toEqual([]);
    const expiries = new Map([
      [old.id, old.expiresOn],
      [onlyToken().id, onlyToken().expiresOn],
    ]);
    const late = used.filter((request) => {
      const expiresOn = Date.parse(expiries.get(request.tokenId) ?? "");
      return request.time + shiftMs > expiresOn - FINAL_MINUTES_MS;
    });
    expect(late, "requests made with a token in its final minutes").toEqual([]);
    expect(new Set(used.map((request) => request.tokenId))).toEqual(
      new Set([old.id, onlyToken().id]),
    );

    const token = onlyToken();
    expect(token.id).not.toBe(tokenId);
    const writes = suite.api.requests.all
      .slice(requests)
      .filter((request) => TOKEN_WRITES.has(request.kind));
    const describe = (request: RecordedRequest) =>
      `${request.kind} ${request.path} ${request.status}`;
    expect(writes.map(describe)).toEqual([
      `tokens.create /user/tokens 200`,
      `tokens.delete /user/tokens/${tokenId} 200`,
    ]);
    const [created, deleted] = writes;
    expect(created.time).toBeLessThan(deleted.time);

    // Deleted at the end: after the cluster had moved to the new token.
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    const newest = (await replicaSets(suite.cluster, deployment)).sort(
      (a, b) =>
        Date.parse(b.metadata.creationTimestamp ?? "") -
        Date.parse(a.metadata.creationTimestamp ?? ""),
    )[0];
    expect(Date.parse(newest.metadata.creationTimestamp ?? "")).toBeLessThanOrEqual(deleted.time);
    const secret = await suite.cluster.get(tokenSecretRef(suite.namespace));
    const lastWrite = Math.max(
      ...(secret?.metadata.managedFields ?? []).map((field: { time?: string }) =>
        Date.parse(field.time ?? ""),
      ),
    );
    expect(lastWrite).toBeLessThanOrEqual(deleted.time);
    // In the engine's own account of the update, the old token's deletion comes after everything else.
    const lines = rotation.output.split("\n");
    const deletion = lines.findIndex((line) => /ApiToken.*deleting original/.test(line));
    const deploymentUpdated = lines.findIndex((line) => /apps\/v1:Deployment.*updated/.test(line));
    expect(deletion, "no `deleting original` line for the token").toBeGreaterThan(-1);
    expect(deploymentUpdated, "no `updated` line for the Deployment").toBeGreaterThan(-1);
    expect(deletion).toBeGreaterThan(deploymentUpdated);
  });

  it("the Secret holds the new token", async () => {
    expect(rotation?.exitCode, "the rotating up must have succeeded").toBe(0);
    const token = onlyToken();
    expect(await sopsSecretStatus(suite.cluster, suite.namespace)).toBe("Healthy");
    const held = await secretToken(suite.cluster, suite.namespace);
    expect(
      held === suite.api.state.tokenValue(token.id),
      "the Secret holds the new token (values not shown)",
    ).toBe(true);
  });

  it("the pods rolled exactly once", async () => {
    expect(rotation?.exitCode, "the rotating up must have succeeded").toBe(0);
    const { deployment: old, replicaSets: oldReplicaSets } = firstDeployment();
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    expect(deployment.metadata.uid).toBe(old.metadata.uid);
    expect(deployment.metadata.generation).toBe((old.metadata.generation ?? 0) + 1);
    expect((await replicaSets(suite.cluster, deployment)).length).toBe(oldReplicaSets + 1);
    const annotations = (object: KubeObject) => object.spec.template.metadata?.annotations ?? {};
    const changed = Object.keys({
      ...annotations(deployment),
      ...annotations(old),
    }).filter((key) => annotations(deployment)[key] !== annotations(old)[key]);
    expect(changed).toEqual(["checksum/cloudflare-sops-secret"]);
  });

  it("another up at the same shifted time changes nothing", async () => {
    expect(rotation?.exitCode, "the rotating up must have succeeded").toBe(0);
    const deploymentBefore = await availableDeployment(suite.cluster, suite.namespace);
    const requestsBefore = suite.api.requests.all.length;
    const tokenBefore = onlyToken();
    const again = await suite.project.up(["--expect-no-changes"], { env: shiftedClock() });
    expect(again.exitCode, describeRun(again)).toBe(0);
    expect(onlyToken().id).toBe(tokenBefore.id);
    const writes = suite.api.requests.all
      .slice(requestsBefore)
      .filter((request) => TOKEN_WRITES.has(request.kind));
    expect(writes).toEqual([]);
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    expect(deployment.metadata.generation).toBe(deploymentBefore.metadata.generation);
  });

  it("plan --against-deployed says 'no changes' for the deployed config, as the up just did", async () => {
    const plan = await planAgainstDeployed();
    expect(plan.againstDeployed).toMatchObject({ read: true, changes: [] });
    const text = await suite.project.run(
      "npm",
      ["run", "--silent", "plan", "--", suite.stack, "--against-deployed"],
      { env: shiftedClock(), timeoutMs: 120_000 },
    );
    expect(text.stdout).toMatch(
      /Against the deployed stack rotation .*: no changes; pulumi up would change nothing/,
    );
  });

  it("plan --against-deployed shows what the real preview then shows for a new rotation period", async () => {
    await suite.project.configure({ "external-dns:tokenRotationDays": 60 });
    const plan = await planAgainstDeployed();
    const preview = await suite.project.preview(["--json"], { env: shiftedClock() });
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    const planned = (plan.againstDeployed.changes as PlannedChange[])
      .map((change) => `${change.operation} ${change.type} ${change.name}`)
      .sort();
    expect(planned).toEqual(previewChanges(preview.stdout));
    expect(planned).toContain("replace cloudflare:index/apiToken:ApiToken external-dns-token");
    expect(plan.againstDeployed.consequences.join("\n")).toMatch(
      /A new Cloudflare token is minted[\s\S]*external-dns restarts/,
    );
  });

  it("plan --against-deployed without the backend's credentials says so and plans as before", async () => {
    const plan = await suite.project.run(
      "npm",
      ["run", "--silent", "plan", "--", suite.stack, "--against-deployed"],
      { env: { ...shiftedClock(), PULUMI_BACKEND_URL: "" }, timeoutMs: 120_000 },
    );
    expect(plan.exitCode, describeRun(plan)).toBe(0);
    expect(plan.stdout).toContain(
      "Not compared with the deployed stack: could not read the state of stack rotation (pulumi stack export failed: error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions).",
    );
    expect(plan.stdout).toContain("Cloudflare token:");
  });

  it("external-dns ran one process at a time, moved to the new token once, and never crashed", () => {
    expect(dns().pods.maxConcurrent()).toBe(1);
    expect(dns().pods.history).toHaveLength(2);
    expect(dns().pods.crashes()).toEqual([]);
    expect(dns().pods.errorLines()).toEqual([]);
  });
});
