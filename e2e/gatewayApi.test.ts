/**
 * Gateway sources and the Gateway API CRDs, through the real CLI: against a
 * reachable cluster that lacks a CRD, or whose CRD does not serve the version
 * external-dns reads (the standard channel's TCPRoute, v1 only), the run fails
 * before anything is created, naming the CRDs, the version and the install
 * step; without a reachable cluster (rendering YAML) the preview succeeds with
 * a warning naming the CRDs it could not check.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { KubeObject } from "./support/cluster";
import { describeRun } from "./support/project";
import { useStackSuite } from "./support/stackSuite";

const TLSROUTES = "tlsroutes.gateway.networking.k8s.io";
const TCPROUTES = "tcproutes.gateway.networking.k8s.io";
const CRD_REF = {
  apiVersion: "apiextensions.k8s.io/v1",
  plural: "customresourcedefinitions",
  name: TLSROUTES,
};

const suite = useStackSuite({
  stack: "gateway-api",
  config: { "external-dns:sources": ["service", "gateway-tlsroute", "gateway-tcproute"] },
});

/** The CRD as it was, to put back after the test removed it. */
let removedCrd: KubeObject | undefined;

async function restoreCrd(): Promise<void> {
  if (!removedCrd) return;
  const { metadata, spec } = removedCrd as KubeObject & { spec: unknown };
  await suite.cluster.create(
    { apiVersion: CRD_REF.apiVersion, plural: CRD_REF.plural },
    {
      apiVersion: CRD_REF.apiVersion,
      kind: "CustomResourceDefinition",
      metadata: { name: metadata.name, labels: metadata.labels, annotations: metadata.annotations },
      spec,
    },
  );
  removedCrd = undefined;
}
afterAll(restoreCrd, 60_000);

async function waitUntilGone(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (await suite.cluster.get(CRD_REF)) {
    if (Date.now() > deadline) throw new Error(`${TLSROUTES} was not deleted within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("a reachable cluster without a Gateway API CRD, or without the version external-dns reads", () => {
  it("fails pulumi up before anything is created, naming the CRDs, the version and the install step", async () => {
    // The realworld cluster has the standard channel of Gateway API v1.6: TCPRoute at v1 only.
    const tcpRoutes = await suite.cluster.get({ ...CRD_REF, name: TCPROUTES });
    const served = ((tcpRoutes?.spec.versions ?? []) as { name: string; served: boolean }[])
      .filter((version) => version.served)
      .map((version) => version.name);
    expect(served).toEqual(["v1"]);
    removedCrd = await suite.cluster.get(CRD_REF);
    expect(removedCrd, `${TLSROUTES} must be installed before the test`).toBeDefined();
    await suite.cluster.delete(CRD_REF);
    await waitUntilGone();

    const up = await suite.project.up(["--skip-preview"], { timeoutMs: 180_000 });
    expect(up.exitCode, describeRun(up)).not.toBe(0);
    expect(up.output).toContain(
      `external-dns:sources includes gateway-tlsroute, gateway-tcproute, but the cluster lacks the Gateway API CRDs ${TLSROUTES}; ` +
        `${TCPROUTES} serves v1, not v1alpha2, the version external-dns 0.22.0 reads;`,
    );
    expect(up.output).toContain(
      "Nothing was changed. Install the Gateway API CRDs, experimental channel v1.6 or later",
    );
    expect(up.output).toContain("/experimental-install.yaml");
    expect(up.output.split("\n").filter((line) => /^\s+at /.test(line))).toEqual([]);
    expect(suite.api.state.tokens().length, "tokens minted at the stand-in").toBe(0);
    expect(
      await suite.cluster.get({ apiVersion: "v1", plural: "namespaces", name: suite.namespace }),
    ).toBeUndefined();
  });
});

describe("no reachable cluster", () => {
  it("still previews (rendering YAML), warning about the CRDs it could not check", async () => {
    await restoreCrd();
    // No cluster at all: the kubeconfig the provider and the program would read does not exist.
    const kubeconfig = join(suite.project.dir, "no-such-kubeconfig");
    await suite.project.configure({
      "kubernetes:renderYamlToDirectory": join(suite.project.dir, "rendered"),
    });
    const preview = await suite.project.preview([], {
      env: { KUBECONFIG: kubeconfig },
      timeoutMs: 180_000,
    });
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(preview.output).toMatch(
      /warning: could not check that the cluster has the Gateway API CRDs gateways\.gateway\.networking\.k8s\.io \(v1\), tlsroutes\.gateway\.networking\.k8s\.io \(v1\), tcproutes\.gateway\.networking\.k8s\.io \(v1alpha2\) that gateway-tlsroute, gateway-tcproute need \(.+\); the check runs again on every preview and up\./,
    );
  });
});
