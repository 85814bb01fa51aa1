/**
 * Token rotation with `tokenRotationDays: 30`: an `up` 31 days later (the
 * program's clock shifted by clock.cjs) replaces the token without a gap: the
 * new one is minted first, the cluster moves to it, the old one is deleted
 * last; the pods roll once; another `up` at that time changes nothing.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "./support/cloudflareApi";
import type { KubeObject } from "./support/cluster";
import {
  availableDeployment,
  replicaSets,
  secretToken,
  sopsSecretStatus,
  tokenSecretRef,
} from "./support/objects";
import { describeRun, type RunResult } from "./support/project";
import { useStackSuite } from "./support/stackSuite";

const suite = useStackSuite({
  stack: "rotation",
  config: { "external-dns:tokenRotationDays": 30 },
});

/** The program runs 31 days in the future: past the end of any 30-day period. */
const SHIFTED_CLOCK = {
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS ?? ""} --require ${join(__dirname, "support", "clock.cjs")}`.trim(),
  E2E_CLOCK_SHIFT_DAYS: "31",
};

/** What the first deployment left, to compare the rotation against. */
interface Before {
  tokenId: string;
  deployment: KubeObject;
  replicaSets: number;
  requests: number;
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
  });

  it("an up 31 days later mints a new token before it deletes the old one, which goes last", async () => {
    const { tokenId, requests } = firstDeployment();
    rotation = await suite.project.up([], { env: SHIFTED_CLOCK });
    expect(rotation.exitCode, describeRun(rotation)).toBe(0);

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
    const again = await suite.project.up(["--expect-no-changes"], { env: SHIFTED_CLOCK });
    expect(again.exitCode, describeRun(again)).toBe(0);
    expect(onlyToken().id).toBe(tokenBefore.id);
    const writes = suite.api.requests.all
      .slice(requestsBefore)
      .filter((request) => TOKEN_WRITES.has(request.kind));
    expect(writes).toEqual([]);
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    expect(deployment.metadata.generation).toBe(deploymentBefore.metadata.generation);
  });
});
