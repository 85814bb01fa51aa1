/**
 * A running manual installation (issue 12), the part that is built: chart
 * 1.14.5 rendered with helm and applied as a person would, with the TXT
 * settings `externaldns-` / `vanixiets-cluster`. A stack with the default
 * prefix is refused by `pulumi preview` and `pulumi up` before anything
 * changes, naming the records it would orphan; a stack with the installation's
 * settings previews.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { Cluster, KubeObject } from "./support/cluster";
import { deploymentRef, sopsSecretRef } from "./support/objects";
import { describeRun } from "./support/project";
import { loadBalancerService } from "./support/sources";
import { type StackSuite, useStackSuite } from "./support/stackSuite";

const OLD_CHART_VERSION = "1.14.5";
const OLD_OWNER = "vanixiets-cluster";
const OLD_PREFIX = "externaldns-";

/** The values of the manual installation. */
const OLD_VALUES = {
  provider: { name: "cloudflare" },
  txtOwnerId: OLD_OWNER,
  txtPrefix: OLD_PREFIX,
  policy: "sync",
  sources: [
    "service",
    "ingress",
    "gateway-httproute",
    "gateway-grpcroute",
    "gateway-tlsroute",
    "gateway-tcproute",
    "gateway-udproute",
  ],
  extraArgs: ["--cloudflare-proxied=false", "--cloudflare-dns-records-per-page=5000"],
  env: [
    {
      name: "CF_API_TOKEN",
      valueFrom: { secretKeyRef: { name: "cloudflare-api-token", key: "CF_API_TOKEN" } },
    },
  ],
};

const PLURALS: Record<string, string> = {
  ServiceAccount: "serviceaccounts",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  Service: "services",
  Deployment: "deployments",
};

const suite = useStackSuite({
  stack: "migration",
  tools: ["helm"],
  config: {
    "external-dns:txtOwnerId": OLD_OWNER,
    "external-dns:sources": ["service", "ingress"],
  },
  prepare: installManually,
});

/** `helm template` of the old chart from the suite's repository, applied object by object. */
async function installManually(suite: StackSuite): Promise<void> {
  const valuesFile = join(suite.project.dir, "old-values.yaml");
  writeFileSync(valuesFile, stringify(OLD_VALUES));
  const rendered = spawnSync(
    "helm",
    [
      "template",
      "external-dns",
      "external-dns",
      "--repo",
      suite.env.chartRepository,
      "--version",
      OLD_CHART_VERSION,
      "--namespace",
      suite.namespace,
      "--values",
      valuesFile,
    ],
    { encoding: "utf8" },
  );
  if (rendered.status !== 0) throw new Error(`helm template failed: ${rendered.stderr}`);
  await suite.cluster.create(
    { apiVersion: "v1", plural: "namespaces" },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: suite.namespace } },
  );
  for (const document of parseAllDocuments(rendered.stdout)) {
    const object = document.toJS() as KubeObject | null;
    if (!object?.kind) continue;
    const plural = PLURALS[object.kind];
    if (!plural) throw new Error(`chart ${OLD_CHART_VERSION} renders an unexpected ${object.kind}`);
    const namespaced = !object.kind.startsWith("Cluster");
    await suite.cluster.create(
      {
        apiVersion: object.apiVersion ?? "v1",
        plural,
        namespace: namespaced ? suite.namespace : undefined,
      },
      object,
    );
  }
  await loadBalancerService(suite.cluster, suite.namespace, "web", "web.example.com", [
    { ip: "203.0.113.60" },
  ]);
}

async function oldDeployment(cluster: Cluster, namespace: string): Promise<KubeObject> {
  const deployment = await cluster.get(deploymentRef(namespace));
  if (!deployment) throw new Error("the manually installed Deployment is gone");
  return deployment;
}

const REFUSAL_LINES = [
  "Deployment e2e-migration/external-dns already runs external-dns with other TXT registry settings than this stack:",
  '  --txt-prefix: "externaldns-" running, "externaldns-%{record_type}." in this stack',
  "  web.example.com: owned through externaldns-a-web.example.com; this stack would look for externaldns-a.web.example.com",
  'Nothing was changed. To take over its records, set external-dns:txtPrefix to "externaldns-" and external-dns:txtOwnerId to "vanixiets-cluster" (README: "Migrating a running installation").',
];

describe("a running manual installation (chart 1.14.5)", () => {
  it("is what the issue describes: the old chart's Deployment with its TXT settings", async () => {
    const deployment = await oldDeployment(suite.cluster, suite.namespace);
    expect(deployment.metadata.labels?.["helm.sh/chart"]).toBe(`external-dns-${OLD_CHART_VERSION}`);
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    expect(args).toEqual(
      expect.arrayContaining([
        `--txt-owner-id=${OLD_OWNER}`,
        `--txt-prefix=${OLD_PREFIX}`,
        "--policy=sync",
        "--cloudflare-dns-records-per-page=5000",
      ]),
    );
  });

  it.each([
    ["preview", () => suite.project.preview()],
    ["up", () => suite.project.up()],
  ])(
    "with the default TXT prefix, pulumi %s is refused before anything changes, naming the records it would orphan",
    async (_, run) => {
      const before = await oldDeployment(suite.cluster, suite.namespace);
      const result = await run();
      expect(result.exitCode, describeRun(result)).not.toBe(0);
      for (const line of REFUSAL_LINES) expect(result.output).toContain(line);
      expect(result.output.includes("\x1b["), "no ANSI escape codes").toBe(false);
      expect(result.output, "no stack trace").not.toMatch(/at .*\.ts:\d+/);
      expect(suite.api.state.tokens()).toEqual([]);
      expect(suite.api.requests.count({ kind: "tokens.create" })).toBe(0);
      expect(await suite.cluster.get(sopsSecretRef(suite.namespace))).toBeUndefined();
      const after = await oldDeployment(suite.cluster, suite.namespace);
      // Its status may move on (the Deployment controller); its spec and metadata may not.
      expect(after.metadata.generation).toBe(before.metadata.generation);
      expect(after.spec).toEqual(before.spec);
      expect(after.metadata.labels).toEqual(before.metadata.labels);
      expect(after.metadata.annotations).toEqual(before.metadata.annotations);
      const managers = (after.metadata.managedFields ?? []).map((field) => field.manager ?? "");
      expect(managers.filter((manager) => /pulumi/.test(manager))).toEqual([]);
    },
  );

  it("with the installation's prefix and owner, pulumi preview goes ahead", async () => {
    await suite.project.configure({ "external-dns:txtPrefix": OLD_PREFIX });
    const preview = await suite.project.preview();
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(preview.output).not.toContain("already runs external-dns");
  });
});
