/**
 * Faults, with the real engine and providers: Cloudflare refusing, rate-limiting
 * or failing while the token is minted or deleted, `pulumi up` killed after
 * Cloudflare minted the token but before its answer arrived, a token revoked at
 * Cloudflare, verify from outside tokenAllowedCidrs, Cloudflare rate-limiting
 * external-dns, and the cluster unreachable during a preview. Each ends in a
 * clear message, a rerun that converges, and no token left behind. Tests run in
 * order and build on each other.
 */
import { writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "./support/cluster";
import { sha256 } from "./support/externalDns";
import { type LiveDns, useLiveDns } from "./support/liveDns";
import { deploymentRef, secretToken } from "./support/objects";
import { describeRun, type RunResult } from "./support/project";
import { loadBalancerService } from "./support/sources";
import { STACK_ZONES, useStackSuite } from "./support/stackSuite";

const [COM] = STACK_ZONES;

const suite = useStackSuite({
  stack: "faults",
  tools: ["external-dns-v0.22.0"],
  config: {
    "external-dns:sources": ["service"],
    "external-dns:interval": "2s",
    "external-dns:tokenExpiresOn": "2027-06-30T00:00:00Z",
  },
});
const live = useLiveDns(suite);
let running: LiveDns | undefined;

function dns(): LiveDns {
  if (!running) throw new Error("external-dns must be running (see the tests before)");
  return running;
}

/** The tokens at the stand-in, as `id status` lines. */
function tokensAtCloudflare(): string[] {
  return suite.api.state.tokens().map((token) => `${token.id} ${token.effectiveStatus}`);
}

function activeTokenIds(): string[] {
  return suite.api.state
    .tokens()
    .filter((token) => token.effectiveStatus === "active")
    .map((token) => token.id);
}

/** Lines of a run that look like a stack trace. */
function stackTraceLines(run: RunResult): string[] {
  return run.output.split("\n").filter((line) => /^\s+at\s/.test(line));
}

const RBAC = "rbac.authorization.k8s.io/v1";

/**
 * Stops sops-secrets-operator as far as the cluster can tell: deletes the
 * ClusterRoleBindings of the ClusterRoles that grant access to SopsSecrets (the
 * operator's), so it can neither read them nor write their status or Secret.
 * Returns them for `restoreOperator`.
 */
async function stopOperator(): Promise<unknown[]> {
  const roles = (await suite.cluster.list({ apiVersion: RBAC, plural: "clusterroles" })) as {
    metadata: { name: string };
    rules?: { resources?: string[] }[];
  }[];
  const operatorRoles = new Set(
    roles
      .filter((role) => role.rules?.some((rule) => rule.resources?.includes("sopssecrets")))
      .map((role) => role.metadata.name),
  );
  const bindings = (await suite.cluster.list({
    apiVersion: RBAC,
    plural: "clusterrolebindings",
  })) as { metadata: { name: string }; roleRef: { name: string }; subjects?: unknown[] }[];
  const operators = bindings.filter((binding) => operatorRoles.has(binding.roleRef.name));
  if (operators.length === 0) throw new Error("found no ClusterRoleBinding of the operator");
  for (const binding of operators)
    await suite.cluster.delete({
      apiVersion: RBAC,
      plural: "clusterrolebindings",
      name: binding.metadata.name,
    });
  return operators.map(({ metadata, roleRef, subjects }) => ({
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: { name: metadata.name },
    roleRef,
    subjects,
  }));
}

async function restoreOperator(bindings: unknown[]): Promise<void> {
  for (const binding of bindings)
    await suite.cluster.create({ apiVersion: RBAC, plural: "clusterrolebindings" }, binding);
}

/** A loopback port nothing listens on (a cluster that is away). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function stateTokenId(): Promise<string> {
  return String((await suite.project.outputs()).tokenId);
}

describe("faults", () => {
  it("Cloudflare answers 503 to every mint: the up fails after the provider's three attempts, naming the answer, and no token exists", async () => {
    const fault = suite.api.injectFault({
      kinds: "tokens.create",
      fault: { type: "status", status: 503 },
    });
    const up = await suite.project.up([], { timeoutMs: 180_000 });
    fault.remove();
    expect(up.exitCode, describeRun(up)).not.toBe(0);
    expect(up.output).toMatch(
      /failed to make http request: POST "[^"]+\/user\/tokens": 503 Service Unavailable/,
    );
    // cloudflare-go v7.9.0 retries a 5xx twice (internal/requestconfig/requestconfig.go).
    expect(fault.hits).toBe(3);
    expect(tokensAtCloudflare()).toEqual([]);
    expect(stackTraceLines(up)).toEqual([]);
    expect(up.durationMs).toBeLessThan(120_000);
  });

  it("an up killed after Cloudflare minted the token, before its answer arrived: the rerun converges and deletes the token no stack knows", async () => {
    suite.api.injectFault({
      kinds: "tokens.create",
      fault: { type: "lateAnswer", delayMs: 30_000 },
      times: 1,
    });
    const killed = await suite.project.up([], {
      timeoutMs: 180_000,
      killWhen: () => suite.api.state.tokens().length > 0,
    });
    expect(killed.exitCode, describeRun(killed)).not.toBe(0);
    const [orphan] = activeTokenIds();
    expect(orphan).toBeDefined();

    // The killed CLI left its lock: Pulumi says how to remove it, and that is the one manual step.
    const locked = await suite.project.up([], { timeoutMs: 60_000 });
    expect(locked.exitCode).not.toBe(0);
    expect(locked.output).toContain("the stack is currently locked");
    expect(locked.output).toContain("pulumi cancel");
    await suite.project.expectSuccess(
      suite.project.pulumi(["cancel", "--yes", "--stack", suite.stack]),
    );
    // The killed create stays a pending operation until a refresh clears it (the token it minted
    // stays at Cloudflare; the rerun's cleanup deletes it).
    await suite.project.expectSuccess(
      suite.project.pulumi(["refresh", "--clear-pending-creates", "--yes", "--stack", suite.stack]),
    );

    // The rerun, with Cloudflare rate-limiting the first two attempts: the provider waits out Retry-After.
    const limited = suite.api.injectFault({
      kinds: "tokens.create",
      fault: { type: "rateLimited", retryAfterSeconds: 2 },
      times: 2,
    });
    const rerun = await suite.project.up([], { timeoutMs: 240_000 });
    expect(rerun.exitCode, describeRun(rerun)).toBe(0);
    expect(rerun.output).not.toContain("pending operations");
    expect(limited.hits).toBe(2);
    const kept = await stateTokenId();
    expect(kept).not.toBe(orphan);
    expect(activeTokenIds()).toEqual([kept]);
    expect(suite.api.requests.count({ kind: "tokens.delete" })).toBe(1);
    running = await live.start();
    await dns().pods.waitForProcess(
      (process) => process.tokenSha256 === sha256(suite.api.state.tokenValue(kept) ?? ""),
    );
  });

  it("verify from outside tokenAllowedCidrs says the token is refused from this location, names the setting, never revoked", async () => {
    const tokenId = await stateTokenId();
    // Requests with the token come from outside the allowed range (external-dns is paused meanwhile).
    suite.api.setClientIp("198.51.100.7", tokenId);
    await dns().pods.pause();
    try {
      const { results } = await dns().verify();
      const token = results.find((result) => result.check === "token active");
      expect(token?.status).toBe("fail");
      expect(token?.detail).toContain("Cannot use the access token from location: 198.51.100.7");
      expect(token?.detail).toContain("external-dns:tokenAllowedCidrs (127.0.0.1/32)");
      expect(`${token?.detail} ${token?.hint}`).not.toMatch(/revoked|--refresh/);
    } finally {
      suite.api.setClientIp(undefined, tokenId);
      dns().pods.resume();
    }
  });

  it("a token replaced while Cloudflare refuses to delete the old one: the new one is live, verify lists the old one, the next up deletes it", async () => {
    const before = await stateTokenId();
    await suite.project.configure({ "external-dns:tokenExpiresOn": "2027-07-31T00:00:00Z" });
    const refused = suite.api.injectFault({
      kinds: "tokens.delete",
      fault: { type: "status", status: 502 },
    });
    const up = await suite.project.up([], { timeoutMs: 240_000 });
    refused.remove();
    expect(up.exitCode, describeRun(up)).not.toBe(0);
    expect(up.output).toMatch(/DELETE "[^"]+\/user\/tokens\/[0-9a-f]+": 502 Bad Gateway/);
    expect(stackTraceLines(up)).toEqual([]);
    const minted = activeTokenIds().filter((id) => id !== before);
    expect(minted).toHaveLength(1);
    expect(
      (await secretToken(suite.cluster, suite.namespace)) === suite.api.state.tokenValue(minted[0]),
    ).toBe(true);
    await dns().pods.waitForProcess(
      (process) => process.tokenSha256 === sha256(suite.api.state.tokenValue(minted[0]) ?? ""),
    );

    const { results } = await dns().verify();
    const leftover = results.find((result) => result.check === "leftover tokens");
    expect(leftover?.status).toBe("fail");
    expect(leftover?.detail).toContain(`id ${before}`);
    expect(leftover?.hint).toContain("deleted by the next pulumi up");

    const rerun = await suite.project.up([], { timeoutMs: 240_000 });
    expect(rerun.exitCode, describeRun(rerun)).toBe(0);
    expect(activeTokenIds()).toEqual(minted);
    const again = await dns().verify();
    expect(again.results.find((result) => result.check === "leftover tokens")?.status).toBe("pass");
  });

  it("a token revoked at Cloudflare: external-dns exits, verify says revoked, and up --refresh mints a new one and restarts external-dns onto it", async () => {
    await loadBalancerService(suite.cluster, suite.namespace, "web", "web.example.com", [
      { ip: "203.0.113.10" },
    ]);
    await waitFor("web.example.com's record", 60_000, async () =>
      suite.api.state.recordsNamed("web.example.com", [COM.id]).length > 0 ? true : undefined,
    );
    const revoked = await stateTokenId();
    const crashes = dns().pods.crashes().length;
    suite.api.revokeToken(revoked);
    await waitFor("external-dns to exit on the revoked token", 30_000, async () =>
      dns().pods.crashes().length > crashes ? true : undefined,
    );

    const { results } = await dns().verify();
    const token = results.find((result) => result.check === "token active");
    expect(token).toMatchObject({
      status: "fail",
      detail:
        "token is revoked (exposed): Cloudflare revoked it, as it does with tokens it finds exposed",
    });
    expect(token?.hint).toMatch(/^pulumi up --refresh notices the token is gone/);

    const up = await suite.project.up(["--refresh"], { timeoutMs: 240_000 });
    expect(up.exitCode, describeRun(up)).toBe(0);
    // terraform-provider-cloudflare 5.24.0 drops a revoked token from the state on read.
    expect(up.output).toContain("Token expired or revoked");
    const minted = await stateTokenId();
    expect(minted).not.toBe(revoked);
    // The up restarted the pods (no manual step), and external-dns runs on the new token.
    await dns().pods.waitForProcess(
      (record) => record.tokenSha256 === sha256(suite.api.state.tokenValue(minted) ?? ""),
      15_000,
    );
    const template = (await suite.cluster.get(deploymentRef(suite.namespace))) as unknown as {
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    };
    expect(
      template.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"],
    ).toBeDefined();
    const since = suite.api.requests.all.length;
    await dns().waitForReconciles(2, COM.id);
    expect(
      dns()
        .externalDnsRequests(since)
        .filter((request) => request.status >= 400),
    ).toEqual([]);
    // The revoked token stays at Cloudflare, unusable; it is no leftover.
    expect(tokensAtCloudflare()).toContain(`${revoked} revoked (exposed)`);
    const preview = await suite.project.preview(["--expect-no-changes"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
  });

  it("Cloudflare rate-limiting external-dns's record listing: a soft error, no crash, and the next reconcile succeeds", async () => {
    const crashes = dns().pods.crashes().length;
    const lines = dns().pods.lines.length;
    const limited = suite.api.injectFault({
      kinds: "dns_records.list",
      fault: { type: "rateLimited", retryAfterSeconds: 1 },
      times: 6,
    });
    await waitFor("external-dns to log the 429 as a soft error", 60_000, async () =>
      dns()
        .pods.lines.slice(lines)
        .some((line) => /soft error.*429 Too Many Requests/.test(line))
        ? true
        : undefined,
    );
    await waitFor("the faults to be used up", 60_000, async () =>
      limited.hits >= 6 ? true : undefined,
    );
    const since = suite.api.requests.all.length;
    await dns().waitForReconciles(2, COM.id);
    expect(dns().pods.crashes().length).toBe(crashes);
    expect(
      dns()
        .externalDnsRequests(since)
        .filter((request) => request.status >= 400),
    ).toEqual([]);
  });

  it("the operator stopped during an up: it fails within the stated bound with the hint, and the rerun once it is back succeeds", async () => {
    const before = await stateTokenId();
    await suite.project.configure({ "external-dns:tokenExpiresOn": "2027-08-31T00:00:00Z" });
    const bindings = await stopOperator();
    let up: RunResult;
    try {
      up = await suite.project.up([], { timeoutMs: 300_000 });
    } finally {
      await restoreOperator(bindings);
    }
    expect(up.exitCode, describeRun(up)).not.toBe(0);
    expect(up.output).toContain(
      `SopsSecret ${suite.namespace}/external-dns-cloudflare: not decrypted into Secret cloudflare-api-token within 120s`,
    );
    expect(up.output).toContain(
      `is sops-secrets-operator running and watching namespace ${suite.namespace}?`,
    );
    expect(stackTraceLines(up)).toEqual([]);
    // The stated bound (120 s), plus the time the up takes around the wait.
    expect(up.durationMs).toBeLessThan(200_000);

    const rerun = await suite.project.up([], { timeoutMs: 300_000 });
    expect(rerun.exitCode, describeRun(rerun)).toBe(0);
    const minted = await stateTokenId();
    expect(minted).not.toBe(before);
    expect(activeTokenIds()).toEqual([minted]);
    expect(
      (await secretToken(suite.cluster, suite.namespace)) === suite.api.state.tokenValue(minted),
    ).toBe(true);
  });

  it("the cluster unreachable during a preview of the deployed stack: a message that names it, no stack trace, no hang", async () => {
    const port = await closedPort();
    const kubeconfig = join(suite.project.dir, "unreachable.kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: away, cluster: {server: 'https://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]`,
        "users: [{name: away, user: {token: nothing}}]",
        "contexts: [{name: away, context: {cluster: away, user: away}}]",
        "current-context: away",
      ].join("\n"),
    );
    const preview = await suite.project.preview([], {
      env: { KUBECONFIG: kubeconfig },
      timeoutMs: 180_000,
    });
    expect(preview.exitCode, describeRun(preview)).not.toBe(0);
    expect(preview.output).toContain(
      `Could not read the cluster: the cluster at https://127.0.0.1:${port} could not be reached (fetch failed: connect ECONNREFUSED 127.0.0.1:${port}). The Kubernetes provider needs it to preview or deploy the chart. Nothing was changed.`,
    );
    expect(stackTraceLines(preview)).toEqual([]);
    expect(preview.durationMs).toBeLessThan(60_000);
  });
});
