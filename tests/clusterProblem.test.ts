/**
 * Cluster problems named as a person would: no kubeconfig found (and where it
 * looked), the server unreachable (its URL and the cause), credentials refused,
 * an action forbidden; and verify's line for each, before anything else.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { clusterProblem } from "../components/clusterAccess";
import { runScriptWith } from "./support/cli";
import { kubeconfigFor } from "./support/kubernetesApi";

function configFor(server: string): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromString(kubeconfigFor(server));
  return config;
}

describe("clusterProblem", () => {
  it("names where it looked when no kubeconfig was found", () => {
    const fallback = new k8s.KubeConfig();
    fallback.loadFromClusterAndUser(
      { name: "cluster", server: "http://localhost:8080", skipTLSVerify: false },
      { name: "user" },
    );
    const saved = process.env.KUBECONFIG;
    delete process.env.KUBECONFIG;
    try {
      expect(clusterProblem(new Error("HTTP protocol is not allowed"), fallback, undefined)).toBe(
        "no kubeconfig found (looked at KUBECONFIG (not set) and ~/.kube/config): pass --kubeconfig PATH or set KUBECONFIG",
      );
    } finally {
      if (saved !== undefined) process.env.KUBECONFIG = saved;
    }
  });

  it("names the server and the cause when it cannot be reached", () => {
    const error = Object.assign(new Error("fetch failed"), {
      cause: new Error("connect ECONNREFUSED 127.0.0.1:6443"),
    });
    expect(clusterProblem(error, configFor("https://127.0.0.1:6443"), undefined)).toBe(
      "the cluster at https://127.0.0.1:6443 could not be reached (fetch failed: connect ECONNREFUSED 127.0.0.1:6443)",
    );
  });

  it("says the credentials were refused, or what was forbidden, in the API server's words", () => {
    const config = configFor("https://10.0.0.1:6443");
    expect(clusterProblem({ code: 401 }, config, undefined)).toBe(
      "the cluster at https://10.0.0.1:6443 refused the kubeconfig's credentials (401 Unauthorized)",
    );
    const forbidden = {
      code: 403,
      body: JSON.stringify({
        message:
          'deployments.apps "external-dns" is forbidden: User "dev" cannot get resource "deployments" in API group "apps" in the namespace "external-dns"',
      }),
    };
    expect(clusterProblem(forbidden, config, undefined)).toBe(
      'forbidden by the cluster at https://10.0.0.1:6443: deployments.apps "external-dns" is forbidden: User "dev" cannot get resource "deployments" in API group "apps" in the namespace "external-dns"',
    );
  });
});

describe("npm run verify without a cluster", () => {
  it("no kubeconfig anywhere: one FAIL line saying so, exit 1", () => {
    const home = mkdtempSync(join(tmpdir(), "no-kube-"));
    const run = runScriptWith({ KUBECONFIG: undefined, HOME: home }, "verify/cli.ts", "production");
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain(
      "FAIL  deployment  cluster  no kubeconfig found (looked at KUBECONFIG (not set) and ~/.kube/config): pass --kubeconfig PATH or set KUBECONFIG",
    );
    expect(run.stdout).toMatch(/0 passed, 0 warnings, 1 failed\n$/);
  });

  it("a server that does not answer: the URL and the cause", async () => {
    const port = await closedPort();
    const file = join(mkdtempSync(join(tmpdir(), "away-")), "kubeconfig");
    writeFileSync(file, kubeconfigFor(`https://127.0.0.1:${port}`));
    const run = runScriptWith({}, "verify/cli.ts", "production", "--kubeconfig", file);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `the cluster at https://127.0.0.1:${port} could not be reached (fetch failed: connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("npm run plan --cluster without a cluster: the same words, and that it could not read it", () => {
  it("no kubeconfig anywhere: refused, naming where it looked, exit 1", () => {
    const home = mkdtempSync(join(tmpdir(), "no-kube-"));
    const run = runScriptWith(
      { KUBECONFIG: undefined, HOME: home },
      "plan/cli.ts",
      "production",
      "--cluster",
    );
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain(
      "  ✗ Could not read the cluster: no kubeconfig found (looked at KUBECONFIG (not set) and ~/.kube/config): set kubernetes:kubeconfig, or KUBECONFIG. The Kubernetes provider needs it to preview or deploy the chart. Nothing was changed.",
    );
  });

  it("a server that does not answer: refused, naming the URL and the cause, exit 1", async () => {
    const port = await closedPort();
    const file = join(mkdtempSync(join(tmpdir(), "away-")), "kubeconfig");
    writeFileSync(file, kubeconfigFor(`https://127.0.0.1:${port}`));
    const run = runScriptWith({ KUBECONFIG: file }, "plan/cli.ts", "production", "--cluster");
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `  ✗ Could not read the cluster: the cluster at https://127.0.0.1:${port} could not be reached (fetch failed: connect ECONNREFUSED 127.0.0.1:${port}). The Kubernetes provider needs it`,
    );
  });
});
