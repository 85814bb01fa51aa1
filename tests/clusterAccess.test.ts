/**
 * The real cluster reader (@kubernetes/client-node) against a local stand-in
 * of the Kubernetes API: CRDs present or missing, an unreachable cluster, and
 * a SopsSecret observation that keeps only a digest of the Secret's value.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesApiReader, sha256Hex } from "../components/clusterAccess";
import {
  type FakeKubernetesApi,
  kubeconfigFor,
  startFakeKubernetesApi,
} from "./support/kubernetesApi";

const TOKEN = "cf-token-in-the-secret";
const routes: Record<string, unknown> = {
  "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gateways.gateway.networking.k8s.io": {
    metadata: { name: "gateways.gateway.networking.k8s.io" },
    spec: {
      versions: [
        { name: "v1", served: true, storage: true },
        { name: "v1beta1", served: false, storage: false },
      ],
    },
  },
  "/apis/isindir.github.com/v1alpha3/namespaces/dns/sopssecrets/external-dns-cloudflare": {
    metadata: { name: "external-dns-cloudflare" },
    status: { message: "Healthy" },
  },
  "/apis/apps/v1/namespaces/helmed/deployments": {
    items: [
      {
        metadata: {
          name: "external-dns",
          namespace: "helmed",
          annotations: {
            "meta.helm.sh/release-name": "external-dns",
            "meta.helm.sh/release-namespace": "helmed",
          },
          managedFields: [{ manager: "helm", operation: "Update" }],
        },
        spec: {
          selector: {},
          template: {
            spec: {
              containers: [
                {
                  name: "external-dns",
                  image: "registry.k8s.io/external-dns/external-dns:v0.14.2",
                  args: ["--txt-prefix=externaldns-"],
                },
              ],
            },
          },
        },
      },
    ],
  },
  // Adopted by this program: Helm's annotations stay, its release record is gone (no route: a read would fail).
  "/apis/apps/v1/namespaces/adopted/deployments": {
    items: [
      {
        metadata: {
          name: "external-dns",
          namespace: "adopted",
          annotations: { "meta.helm.sh/release-name": "external-dns" },
          managedFields: [{ manager: "pulumi-kubernetes-abc123", operation: "Apply" }],
        },
        spec: {
          selector: {},
          template: {
            spec: { containers: [{ name: "external-dns", image: "x/external-dns:v0.21.0" }] },
          },
        },
      },
    ],
  },
  "/api/v1/namespaces/helmed/secrets?labelSelector=owner=helm,name=external-dns": {
    items: [
      { metadata: { name: "sh.helm.release.v1.external-dns.v2" } },
      { metadata: { name: "sh.helm.release.v1.external-dns.v1" } },
    ],
  },
  "/api/v1/namespaces/dns/secrets/cloudflare-api-token": {
    metadata: { name: "cloudflare-api-token" },
    data: { CF_API_TOKEN: Buffer.from(TOKEN).toString("base64") },
  },
};

let api: FakeKubernetesApi;
let kubeconfig: string;

beforeAll(async () => {
  api = await startFakeKubernetesApi(routes);
  kubeconfig = api.kubeconfig;
});
afterAll(() => api.close());

const target = {
  namespace: "dns",
  sopsSecretName: "external-dns-cloudflare",
  secretName: "cloudflare-api-token",
  secretKey: "CF_API_TOKEN",
};

describe("kubernetesApiReader", () => {
  it("reads the versions each CRD serves, and which CRDs the cluster lacks", async () => {
    const reader = kubernetesApiReader({ kubeconfig });
    expect(
      await reader.servedCrdVersions([
        "gateways.gateway.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io",
      ]),
    ).toEqual({
      reachable: true,
      served: {
        "gateways.gateway.networking.k8s.io": ["v1"],
        "httproutes.gateway.networking.k8s.io": undefined,
      },
    });
  });

  it("finds an external-dns Deployment in the namespace, and the Helm release that still tracks it", async () => {
    const lookup = await kubernetesApiReader({ kubeconfig }).runningExternalDns("helmed", []);
    expect(lookup.reachable && lookup.running).toEqual({
      deployment: "helmed/external-dns",
      image: "registry.k8s.io/external-dns/external-dns:v0.14.2",
      args: ["--txt-prefix=externaldns-"],
      managedByPulumi: false,
      helmRelease: {
        name: "external-dns",
        namespace: "helmed",
        secrets: ["sh.helm.release.v1.external-dns.v1", "sh.helm.release.v1.external-dns.v2"],
      },
    });
  });

  it("does not look for a Helm release behind this stack's own Deployment", async () => {
    const lookup = await kubernetesApiReader({ kubeconfig }).runningExternalDns("adopted", []);
    expect(lookup.reachable && lookup.running).toEqual({
      deployment: "adopted/external-dns",
      image: "x/external-dns:v0.21.0",
      args: [],
      managedByPulumi: true,
      helmRelease: undefined,
    });
  });

  it("reports an unreachable cluster instead of failing", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const closed = kubernetesApiReader({
      kubeconfig: kubeconfigFor(`http://127.0.0.1:${closedPort}`),
    });
    const presence = await closed.servedCrdVersions(["gateways.gateway.networking.k8s.io"]);
    expect(presence.reachable).toBe(false);
    expect(presence.reachable === false && presence.reason).toMatch(/ECONNREFUSED/);
  });

  it("observes the operator's status and a digest of the Secret's value, not the value", async () => {
    const observed = await kubernetesApiReader({ kubeconfig }).observeSopsSecret(target);
    expect(observed).toEqual({ status: "Healthy", secretValueSha256: sha256Hex(TOKEN) });
    expect(JSON.stringify(observed)).not.toContain(TOKEN);
  });

  it("observes nothing yet when neither object exists", async () => {
    const observed = await kubernetesApiReader({ kubeconfig }).observeSopsSecret({
      ...target,
      namespace: "other",
    });
    expect(observed).toEqual({ status: undefined, secretValueSha256: undefined });
  });

  it("knows when the provider only renders YAML", () => {
    expect(kubernetesApiReader({ kubeconfig, rendersOnly: true }).rendersOnly).toBe(true);
    expect(kubernetesApiReader({ kubeconfig }).rendersOnly).toBe(false);
  });
});
