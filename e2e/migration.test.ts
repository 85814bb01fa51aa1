/**
 * A running manual installation (issue 12): chart 1.14.5 rendered with helm and
 * applied as a person would, with the TXT settings `externaldns-` /
 * `vanixiets-cluster`, and a SopsSecret encrypted by hand with sops that
 * carries a token made outside the program. A stack with the default prefix is
 * refused by `pulumi preview` and `pulumi up` before anything changes, naming
 * the records it would orphan. With the installation's settings, the stack is
 * still refused until the adopting run sets the Kubernetes provider's force
 * switch; that run takes every object over in place, delivers the minted
 * token, and leaves nothing to change.
 *
 * Not covered here: the old external-dns (0.14.2) really running and writing
 * records (its Cloudflare client has no base-URL override to reach the stand-in).
 */
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { ZONE_SCOPE } from "./support/cloudflareApi";
import { type Cluster, type KubeObject, waitFor } from "./support/cluster";
import { startStandInDns } from "./support/dnsServer";
import { POD_SELECTOR } from "./support/externalDns";
import { runVerify } from "./support/liveDns";
import {
  availableDeployment,
  containerArgs,
  deploymentRef,
  replicaSets,
  SOPS_SECRET_NAME,
  secretToken,
  sopsSecretRef,
  sopsSecretStatus,
  TOKEN_SECRET_KEY,
  TOKEN_SECRET_NAME,
} from "./support/objects";
import { describeRun } from "./support/project";
import { loadBalancerService } from "./support/sources";
import { type StackSuite, useStackSuite } from "./support/stackSuite";

const OLD_CHART_VERSION = "1.14.5";
const OLD_OWNER = "vanixiets-cluster";
const OLD_PREFIX = "externaldns-";
/** Cloudflare's DNS Write and Zone Read permission groups (as the stand-in serves them). */
const DNS_WRITE_GROUP = "4755a26eedb94da69e1066d98aa820be";
const ZONE_READ_GROUP = "c8fed203ed3043cba015a93ad1616f1f";

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
  tools: ["helm", "sops"],
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
  await handMadeSopsSecret(suite);
  await loadBalancerService(suite.cluster, suite.namespace, "web", "web.example.com", [
    { ip: "203.0.113.60" },
  ]);
}

/** The token made in the dashboard; its id once the manual installation is set up. */
let dashboardTokenId = "";

/** As the README of the manual setup says: `sops --encrypt --age <operator key> --encrypted-suffix Templates`. */
async function handMadeSopsSecret(suite: StackSuite): Promise<void> {
  const dashboard = suite.api.state.mintToken({
    name: "external-dns (made in the dashboard)",
    policies: [
      {
        effect: "allow",
        permission_groups: [{ id: DNS_WRITE_GROUP }, { id: ZONE_READ_GROUP }],
        resources: Object.fromEntries(suite.zones.map((zone) => [`${ZONE_SCOPE}.${zone.id}`, "*"])),
      },
    ],
  });
  dashboardTokenId = dashboard.id;
  const plaintext = join(suite.project.dir, "external-dns-cloudflare.yaml");
  writeFileSync(
    plaintext,
    stringify({
      apiVersion: "isindir.github.com/v1alpha3",
      kind: "SopsSecret",
      metadata: { name: SOPS_SECRET_NAME, namespace: suite.namespace },
      spec: {
        secretTemplates: [
          { name: TOKEN_SECRET_NAME, stringData: { [TOKEN_SECRET_KEY]: dashboard.value } },
        ],
      },
    }),
    { mode: 0o600 },
  );
  const encrypted = spawnSync(
    "sops",
    [
      "--encrypt",
      "--age",
      suite.env.operatorAgePublicKey,
      "--encrypted-suffix",
      "Templates",
      plaintext,
    ],
    { encoding: "utf8" },
  );
  rmSync(plaintext);
  if (encrypted.status !== 0) throw new Error(`sops failed: ${encrypted.stderr}`);
  await suite.cluster.create(sopsSecretRef(suite.namespace), parse(encrypted.stdout));
  await waitFor("the operator to decrypt the hand-made SopsSecret", 30_000, async () =>
    (await secretToken(suite.cluster, suite.namespace)) === dashboard.value ? true : undefined,
  );
}

/** verify's "token in use" result (the rest of verify is the records file's business). */
async function tokenInUse(): Promise<{ status: string; detail: string } | undefined> {
  const dns = await startStandInDns(suite.api.state);
  try {
    const { results } = await runVerify(suite, dns);
    return results.find((result) => result.check === "token in use");
  } finally {
    await dns.close();
  }
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

  it("with the default TXT prefix, pulumi up is refused before anything changes, naming the records it would orphan", async () => {
    const before = await oldDeployment(suite.cluster, suite.namespace);
    // (preview runs the same check first: see the next test and tests/txtRegistry.test.ts)
    const result = await suite.project.up();
    expect(result.exitCode, describeRun(result)).not.toBe(0);
    for (const line of REFUSAL_LINES) expect(result.output).toContain(line);
    expect(result.output.includes("\x1b["), "no ANSI escape codes").toBe(false);
    expect(result.output, "no stack trace").not.toMatch(/at .*\.ts:\d+/);
    expect(suite.api.state.tokens().map((token) => token.id)).toEqual([dashboardTokenId]);
    expect(suite.api.requests.count({ kind: "tokens.create" })).toBe(0);
    expect(
      (await secretToken(suite.cluster, suite.namespace)) ===
        suite.api.state.tokenValue(dashboardTokenId),
      "the Secret still holds the dashboard token",
    ).toBe(true);
    const after = await oldDeployment(suite.cluster, suite.namespace);
    // Its status may move on (the Deployment controller); its spec and metadata may not.
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    const managers = (after.metadata.managedFields ?? []).map((field) => field.manager ?? "");
    expect(managers.filter((manager) => /pulumi/.test(manager))).toEqual([]);
  });

  it("with the installation's prefix and owner, an installation the program did not make still needs the adopting run", async () => {
    await suite.project.configure({ "external-dns:txtPrefix": OLD_PREFIX });
    const before = await oldDeployment(suite.cluster, suite.namespace);
    const preview = await suite.project.preview();
    expect(preview.exitCode, describeRun(preview)).not.toBe(0);
    expect(preview.output).not.toContain(
      "already runs external-dns with other TXT registry settings",
    );
    expect(preview.output).toContain(
      "Deployment e2e-migration/external-dns runs an external-dns that this program did not deploy",
    );
    expect(preview.output).toContain(
      "run this pulumi up once with PULUMI_K8S_ENABLE_PATCH_FORCE=true",
    );
    expect(suite.api.state.tokens().map((token) => token.id)).toEqual([dashboardTokenId]);
    expect((await oldDeployment(suite.cluster, suite.namespace)).spec).toEqual(before.spec);
  });

  it("npm run verify warns that external-dns reads a token the program did not mint", async () => {
    expect(await tokenInUse()).toMatchObject({
      status: "warn",
      detail:
        "SopsSecret external-dns-cloudflare was not written by this program: external-dns reads a token it did not mint",
    });
  });

  it("the adopting up takes every object over in place and delivers the minted token", async () => {
    const before = await oldDeployment(suite.cluster, suite.namespace);
    const up = await suite.project.up([], { env: { PULUMI_K8S_ENABLE_PATCH_FORCE: "true" } });
    expect(up.exitCode, describeRun(up)).toBe(0);
    expect(up.output).toContain(
      "Adopting the external-dns installation of Deployment e2e-migration/external-dns (PULUMI_K8S_ENABLE_PATCH_FORCE=true)",
    );

    const minted = suite.api.state.tokens().filter((token) => token.id !== dashboardTokenId);
    expect(minted).toHaveLength(1);
    expect(await sopsSecretStatus(suite.cluster, suite.namespace)).toBe("Healthy");
    expect(
      (await secretToken(suite.cluster, suite.namespace)) ===
        suite.api.state.tokenValue(minted[0].id),
    ).toBe(true);
    // The dashboard token is untouched: revoking it is the runbook's last step.
    expect(suite.api.state.token(dashboardTokenId)?.effectiveStatus).toBe("active");

    const after = await availableDeployment(suite.cluster, suite.namespace);
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.labels?.["helm.sh/chart"]).toBe("external-dns-1.21.1");
    expect(containerArgs(after)).toEqual(
      expect.arrayContaining([`--txt-prefix=${OLD_PREFIX}`, `--txt-owner-id=${OLD_OWNER}`]),
    );
    // Recreate: the old ReplicaSet is scaled to zero; one pod runs, the new one.
    const sets = await replicaSets(suite.cluster, after);
    expect(sets.map((set) => set.spec.replicas).sort()).toEqual([0, 1]);
    const pods = await suite.cluster.list(
      { apiVersion: "v1", plural: "pods", namespace: suite.namespace },
      POD_SELECTOR,
    );
    expect(pods.filter((pod) => !pod.metadata.deletionTimestamp)).toHaveLength(1);
  });

  it("after the adoption, the next preview (without the switch) has nothing to change, and verify sees the minted token in use", async () => {
    const preview = await suite.project.preview(["--expect-no-changes"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(await tokenInUse()).toMatchObject({ status: "pass" });
  });
});
