/**
 * A running manual installation (issue 12): chart 1.14.5 installed with `helm
 * install`, as a person would, with the TXT settings `externaldns-` /
 * `vanixiets-cluster`, and a SopsSecret encrypted by hand with sops that
 * carries a token made outside the program. Its pod runs the real external-dns
 * 0.14.2 (its Cloudflare client always calls api.cloudflare.com, so it reaches
 * the stand-in through cloudflareProxy.ts), which makes the records of a
 * Service, an Ingress and an HTTPRoute before the program ever runs.
 *
 * A stack with the default prefix is refused by `pulumi preview` and `pulumi
 * up` before anything changes, naming the records it would orphan. With the
 * installation's settings, the stack is still refused until the Helm release
 * record is deleted and the adopting run sets the Kubernetes provider's force
 * switch (`npm run plan --cluster` shows both); that run takes every object over
 * in place, delivers the minted token and rolls the pod onto external-dns 0.21,
 * which owns the old records: no record changes at any point, and deleting the
 * Service deletes its records. Then a second up moves the ownership records to
 * the apex-safe prefix (`migrateFromTxtPrefix`), after the rollout to it.
 */
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import type { Plan } from "../plan/report";
import { DNS_WRITE_KINDS, type DnsRecord, type RecordedRequest } from "./support/cloudflareApi";
import { type CloudflareProxy, startCloudflareProxy } from "./support/cloudflareProxy";
import { type Cluster, type KubeObject, waitFor } from "./support/cluster";
import { startStandInDns } from "./support/dnsServer";
import { POD_SELECTOR } from "./support/externalDns";
import { type LiveDns, runVerify, summarize, UP_TO_DATE, useLiveDns } from "./support/liveDns";
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
import {
  gatewayRoute,
  ingress,
  ingressRef,
  loadBalancerService,
  serviceRef,
} from "./support/sources";
import { STACK_ZONES, type StackSuite, useStackSuite } from "./support/stackSuite";

const OLD_CHART_VERSION = "1.14.5";
const RELEASE = "external-dns";
/** The chart's app version: the image tag of its pod, and the binary run for it. */
const OLD_IMAGE_TAG = "v0.14.2";
const OLD_BINARY = "external-dns-v0.14.2";
const [COM, ORG] = STACK_ZONES;
const OLD_OWNER = "vanixiets-cluster";
const OLD_PREFIX = "externaldns-";

const SOURCES = [
  "service",
  "ingress",
  "gateway-httproute",
  "gateway-grpcroute",
  "gateway-tlsroute",
  "gateway-tcproute",
  "gateway-udproute",
];

/**
 * The values of the manual installation, plus `interval: 2s` (the
 * chart's default is 1m) so that the old external-dns reconciles many times
 * during the test, and with `--no-cloudflare-proxied` for the issue's
 * `--cloudflare-proxied=false` (see extraArgs).
 */
const OLD_VALUES = {
  provider: { name: "cloudflare" },
  txtOwnerId: OLD_OWNER,
  txtPrefix: OLD_PREFIX,
  policy: "sync",
  interval: "2s",
  sources: SOURCES,
  // The issue writes --cloudflare-proxied=false, which external-dns (0.14.2 and 0.21.0 alike, kingpin
  // v2.4) refuses at start-up ("flag parsing error: unexpected false"): an installation that runs has
  // the flag's negation, which means the same.
  extraArgs: ["--no-cloudflare-proxied", "--cloudflare-dns-records-per-page=5000"],
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
  tools: ["helm", "sops", "external-dns", OLD_BINARY, "openssl"],
  config: {
    "external-dns:txtOwnerId": OLD_OWNER,
    "external-dns:sources": SOURCES,
    "external-dns:policy": "sync",
    "external-dns:interval": "2s",
    "external-dns:recordsPerPage": 5000,
    // The takeover by external-dns 0.21; e2e/upgrade.test.ts moves a stack on from chart 1.21.1 to 1.22.0.
    "external-dns:chartVersion": "1.21.1",
  },
  prepare: installManually,
});
const live = useLiveDns(suite);
let running: LiveDns | undefined;
let proxy: CloudflareProxy | undefined;
let restoreGatewayApi: (() => Promise<void>) | undefined;
afterAll(async () => {
  await proxy?.close();
  await restoreGatewayApi?.();
}, 60_000);

function dns(): LiveDns {
  if (!running) throw new Error("external-dns must be running (see the beforeAll)");
  return running;
}

/** Every object the old chart made (from `helm get manifest`). */
const oldObjects: { apiVersion: string; kind: string; name: string }[] = [];

/**
 * The installation as the documented manual setup makes it: `helm install` of
 * the old chart from the suite's repository, then the hand-made SopsSecret, and
 * the Service, Ingress and HTTPRoute whose records the old external-dns makes.
 */
async function installManually(suite: StackSuite): Promise<void> {
  restoreGatewayApi = await serveOlderGatewayApiVersions(suite.cluster);
  const valuesFile = join(suite.project.dir, "old-values.yaml");
  writeFileSync(valuesFile, stringify(OLD_VALUES));
  await suite.cluster.create(
    { apiVersion: "v1", plural: "namespaces" },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: suite.namespace } },
  );
  helm(suite, [
    "install",
    RELEASE,
    "external-dns",
    "--repo",
    suite.env.chartRepository,
    "--version",
    OLD_CHART_VERSION,
    "--values",
    valuesFile,
  ]);
  for (const document of parseAllDocuments(helm(suite, ["get", "manifest", RELEASE]))) {
    const object = document.toJS() as KubeObject | null;
    if (object?.kind)
      oldObjects.push({
        apiVersion: object.apiVersion ?? "v1",
        kind: object.kind,
        name: object.metadata.name ?? "",
      });
  }
  await handMadeSopsSecret(suite);
  await declareHostnames(suite);
}

function helm(suite: StackSuite, args: string[]): string {
  const run = spawnSync("helm", [...args, "--namespace", suite.namespace], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`helm ${args[0]} failed: ${run.stderr}`);
  return run.stdout;
}

/** The old external-dns starts with the pod, as soon as the installation is complete. */
beforeAll(async () => {
  proxy = await startCloudflareProxy(suite.api, suite.project.dir);
  running = await live.start({ [OLD_IMAGE_TAG]: { binary: OLD_BINARY, env: proxy.env } });
  for (const host of HOSTS)
    await waitFor(
      `external-dns ${OLD_IMAGE_TAG} to make the records of ${host.name}`,
      90_000,
      async () =>
        recordsNamed(host.name).length > 0 && ownershipOf(host).length === 2 ? true : undefined,
      async () => dns().pods.lines.slice(-8).join("\n"),
    );
}, 180_000);

/** The hostnames the cluster declares, and the records the old external-dns makes for them. */
const HOSTS = [
  {
    name: "web.example.com",
    resource: "service/e2e-migration/web",
    type: "A",
    content: "203.0.113.60",
  },
  {
    name: "shop.example.com",
    resource: "ingress/e2e-migration/shop",
    type: "CNAME",
    content: "lb-1.lb.example.net",
  },
  {
    name: "api.example.com",
    resource: "httproute/e2e-migration/api",
    type: "A",
    content: "203.0.113.61",
  },
];

async function declareHostnames(suite: StackSuite): Promise<void> {
  const ns = suite.namespace;
  await loadBalancerService(suite.cluster, ns, "web", "web.example.com", [{ ip: "203.0.113.60" }]);
  await ingress(suite.cluster, ns, "shop", "shop.example.com", [
    { hostname: "lb-1.lb.example.net" },
  ]);
  await gatewayRoute(suite.cluster, ns, "api", "api.example.com", "203.0.113.61");
}

/**
 * The cluster as an installation of external-dns 0.14 needs it: its GRPCRoute
 * informer reads v1alpha2, and both versions read TLS, TCP and UDP routes at
 * v1alpha2. The realworld cluster has the Gateway API v1.6 standard channel
 * (v1 only), so this serves v1alpha2 as older releases did: TLS/TCP/UDP routes
 * as the v1.6 experimental channel does, and GRPCRoute with v1's schema (as
 * v1.1 served v1alpha2 beside v1). Storage stays v1. Returns the undo.
 */
async function serveOlderGatewayApiVersions(cluster: Cluster): Promise<() => Promise<void>> {
  const alphaRoutes = ["tlsroutes", "tcproutes", "udproutes"];
  for (const plural of alphaRoutes)
    await changeCrdVersions(cluster, plural, (versions) =>
      versions.map((version) =>
        version.name === "v1alpha2" ? { ...version, served: true } : version,
      ),
    );
  await changeCrdVersions(cluster, "grpcroutes", (versions) => {
    const v1 = versions.find((version) => version.name === "v1");
    if (!v1) throw new Error("grpcroutes has no v1");
    return [...versions, { ...v1, name: "v1alpha2", served: true, storage: false }];
  });
  return async () => {
    for (const plural of alphaRoutes)
      await changeCrdVersions(cluster, plural, (versions) =>
        versions.map((version) =>
          version.name === "v1alpha2" ? { ...version, served: false } : version,
        ),
      );
    await changeCrdVersions(cluster, "grpcroutes", (versions) =>
      versions.filter((version) => version.name !== "v1alpha2"),
    );
  };
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
}

async function changeCrdVersions(
  cluster: Cluster,
  plural: string,
  change: (versions: CrdVersion[]) => CrdVersion[],
): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.gateway.networking.k8s.io`;
  const crd = await cluster.request<KubeObject>("GET", path);
  crd.spec.versions = change(crd.spec.versions);
  await cluster.request("PUT", path, crd);
}

/** The stand-in's records named `name`, in the stack's zones. */
function recordsNamed(name: string): DnsRecord[] {
  return suite.api.state.recordsNamed(name, [COM.id, ORG.id]);
}

/** The TXT records that carry the ownership of a host's record. */
function ownershipOf(host: (typeof HOSTS)[number]): DnsRecord[] {
  const content = `"heritage=external-dns,external-dns/owner=${OLD_OWNER},external-dns/resource=${host.resource}"`;
  return [COM, ORG].flatMap((zone) =>
    suite.api.state
      .records(zone.id)
      .filter((record) => record.type === "TXT" && record.content === content),
  );
}

/** Every record of the stack's zones, as one comparable line each (id, type, name, content). */
function zoneSnapshot(): string[] {
  return [COM, ORG]
    .flatMap((zone) => suite.api.state.records(zone.id))
    .map((record) => `${record.id} ${record.type} ${record.name} ${record.content} ${record.ttl}`)
    .sort();
}

/** The DNS writes among `requests`, one line each. */
function writes(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((request) => DNS_WRITE_KINDS.has(request.kind))
    .map(
      (request) =>
        `${request.method} ${request.path} ${request.status} ${request.recordNames?.join(",") ?? ""}`,
    );
}

/** What the old external-dns made, and samples of the zones every 100 ms from then on. */
let baseline: string[] = [];
let baselineRequests = 0;
const deviations: string[] = [];
let sampler: NodeJS.Timeout | undefined;
afterAll(() => clearInterval(sampler));

/** Takes `snapshot` as the baseline, then samples it every 100 ms, noting each sample that differs. */
function startSampling(snapshot: () => string[]): void {
  baseline = snapshot();
  deviations.length = 0;
  sampler = setInterval(() => {
    const now = snapshot();
    if (now.join("\n") !== baseline.join("\n"))
      deviations.push(`${new Date().toISOString()}: ${now.join("; ")}`);
  }, 100);
}

/** Waits until external-dns has deleted every record named `host`. */
async function waitForDeletion(host: string): Promise<void> {
  await waitFor(
    `external-dns to delete ${host}`,
    60_000,
    async () => (recordsNamed(host).length === 0 ? true : undefined),
    async () => dns().pods.lines.slice(-8).join("\n"),
  );
}

/** The token made in the dashboard; its id once the manual installation is set up. */
let dashboardTokenId = "";

/** As the README of the manual setup says: `sops --encrypt --age <operator key> --encrypted-suffix Templates`. */
async function handMadeSopsSecret(suite: StackSuite): Promise<void> {
  const dashboard = suite.api.state.mintDnsToken(
    "external-dns (made in the dashboard)",
    suite.zones.map((zone) => zone.id),
  );
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

/** `npm run plan -- migration --cluster --json`: the preview's cluster checks, read-only. */
async function planAgainstCluster(
  env: Record<string, string> = {},
): Promise<{ exitCode: number | null; plan: Plan }> {
  const run = await suite.project.run(
    "npm",
    ["run", "-s", "plan", "--", suite.stack, "--cluster", "--json"],
    { env },
  );
  try {
    return { exitCode: run.exitCode, plan: JSON.parse(run.stdout) as Plan };
  } catch {
    throw new Error(`plan printed no JSON: ${describeRun(run)}\n${run.output}`);
  }
}

/** The Secrets in which Helm records the release (what `helm list` reads). */
function helmReleaseSecrets(): Promise<KubeObject[]> {
  return suite.cluster.list(
    { apiVersion: "v1", plural: "secrets", namespace: suite.namespace },
    `owner=helm,name=${RELEASE}`,
  );
}

async function oldDeployment(cluster: Cluster, namespace: string): Promise<KubeObject> {
  const deployment = await cluster.get(deploymentRef(namespace));
  if (!deployment) throw new Error("the manually installed Deployment is gone");
  return deployment;
}

/**
 * What deleting a record leaves behind: external-dns 0.21 deletes the record and the
 * ownership record it reads (with the type), never the old name 0.14 wrote beside it.
 */
const LEFT_BEHIND_ON_DELETE = ["externaldns-web.example.com"];
/** 0.14's untyped ownership names of the three hosts (0.21 reads the typed ones beside them). */
const UNTYPED_NAMES = [
  "externaldns-api.example.com",
  "externaldns-shop.example.com",
  "externaldns-web.example.com",
];

const REFUSAL_LINES = [
  "Deployment e2e-migration/external-dns already runs external-dns with other TXT registry settings than this stack:",
  '  --txt-prefix: "externaldns-" running, "externaldns-%{record_type}." in this stack',
  "  web.example.com: owned through externaldns-a-web.example.com; this stack would look for externaldns-a.web.example.com",
  'Nothing was changed. To take over its records, set external-dns:txtPrefix to "externaldns-" and external-dns:txtOwnerId to "vanixiets-cluster"; ' +
    'or, to move them to this stack\'s prefix in the same up, keep external-dns:txtPrefix, set external-dns:txtOwnerId to "vanixiets-cluster" and external-dns:migrateFromTxtPrefix to "externaldns-" ' +
    '(docs/migration.md: "Migrating a running installation", "Moving to another TXT prefix").',
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
        ...SOURCES.map((source) => `--source=${source}`),
      ]),
    );
  });

  it(`its pod runs external-dns ${OLD_IMAGE_TAG}, which made the records of a Service, an Ingress and an HTTPRoute, each owned through two TXT records`, async () => {
    const [old] = dns().pods.current;
    expect(old.image).toMatch(new RegExp(`:${OLD_IMAGE_TAG}$`));
    expect(dns().runningTokenId()).toBe(dashboardTokenId);
    await dns().pods.waitForLines(UP_TO_DATE, 2);
    for (const host of HOSTS) {
      expect(recordsNamed(host.name).map((record) => `${record.type} ${record.content}`)).toEqual([
        `${host.type} ${host.content}`,
      ]);
      // 0.14 writes the ownership record twice: under the old name and under the one with the type.
      const [label, ...zone] = host.name.split(".");
      expect(
        ownershipOf(host)
          .map((record) => record.name)
          .sort(),
      ).toEqual(
        [
          `${OLD_PREFIX}${label}.${zone.join(".")}`,
          `${OLD_PREFIX}${host.type.toLowerCase()}-${label}.${zone.join(".")}`,
        ].sort(),
      );
    }
    expect(dns().pods.errorLines()).toEqual([]);
    expect(dns().pods.crashes()).toEqual([]);
    expect(proxy?.refused).toEqual([]);
    expect(writes(dns().externalDnsRequests()).filter((write) => !/ 200 /.test(write))).toEqual([]);
    // From here on, nothing may change any record until the Service is deleted.
    baselineRequests = suite.api.requests.all.length;
    startSampling(zoneSnapshot);
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

    // npm run plan --cluster makes the same checks read-only, and refuses the same way.
    const { exitCode, plan } = await planAgainstCluster();
    expect(exitCode).toBe(1);
    expect(plan.clusterRead).toBe(true);
    for (const line of REFUSAL_LINES) expect(plan.refusal).toContain(line);
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
    // helm install left its release record: the refusal names it and how to remove it first.
    expect(preview.output).toContain(
      "Helm still tracks it as release external-dns (Secrets sh.helm.release.v1.external-dns.v1 in namespace e2e-migration)",
    );
    expect(preview.output).toContain(
      "kubectl -n e2e-migration delete secret -l owner=helm,name=external-dns",
    );
    expect(suite.api.state.tokens().map((token) => token.id)).toEqual([dashboardTokenId]);
    expect((await oldDeployment(suite.cluster, suite.namespace)).spec).toEqual(before.spec);
  });

  it("the runbook's first step backs up and deletes the Helm release; its objects and external-dns keep running", async () => {
    const before = await oldDeployment(suite.cluster, suite.namespace);
    const releaseSecrets = await helmReleaseSecrets();
    expect(releaseSecrets.map((secret) => secret.metadata.name)).toEqual([
      "sh.helm.release.v1.external-dns.v1",
    ]);
    writeFileSync(
      join(suite.project.dir, "helm-release-external-dns.yaml"),
      stringify(releaseSecrets),
      {
        mode: 0o600,
      },
    );
    for (const secret of releaseSecrets)
      await suite.cluster.delete({
        apiVersion: "v1",
        plural: "secrets",
        namespace: suite.namespace,
        name: secret.metadata.name,
      });
    expect(helm(suite, ["list", "--short"]).trim()).toBe("");
    // Now the plan, with the switch, shows the adoption the next up makes.
    const { exitCode, plan } = await planAgainstCluster({ PULUMI_K8S_ENABLE_PATCH_FORCE: "true" });
    expect(exitCode, JSON.stringify(plan.refusal)).toBe(0);
    expect(plan.warnings).toContainEqual(
      expect.stringMatching(
        /^Adopting the external-dns installation of Deployment e2e-migration\/external-dns \(PULUMI_K8S_ENABLE_PATCH_FORCE=true\)/,
      ),
    );
    expect((await oldDeployment(suite.cluster, suite.namespace)).metadata.uid).toBe(
      before.metadata.uid,
    );
    expect(dns().pods.current.map((record) => record.image.split(":").pop())).toEqual([
      OLD_IMAGE_TAG,
    ]);
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
    expect(dns().pods.history.map((record) => record.image.split(":").pop())).toEqual([
      OLD_IMAGE_TAG,
    ]);
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

  it("external-dns 0.21 took over from 0.14.2 with the minted token: one at a time, and it finds every record its own", async () => {
    const minted = dns().pods.waitForProcess(
      (record) => record.image.endsWith(":v0.21.0"),
      120_000,
    );
    await minted;
    await dns().waitForReconciles(2, COM.id);
    expect(dns().pods.history.map((record) => record.image.split(":").pop())).toEqual([
      OLD_IMAGE_TAG,
      "v0.21.0",
    ]);
    expect(dns().pods.maxConcurrent(), "external-dns processes running at once").toBe(1);
    expect(dns().runningTokenId()).not.toBe(dashboardTokenId);
    expect(dns().pods.crashes()).toEqual([]);
    expect(dns().pods.errorLines()).toEqual([]);
    // Had 0.21 not recognised the ownership records, it would have tried to create the records again.
    expect(dns().pods.lines.filter((line) => UP_TO_DATE.test(line)).length).toBeGreaterThanOrEqual(
      4,
    );
  });

  it("no record was deleted or changed at any point, and nothing wrote to DNS", async () => {
    clearInterval(sampler);
    expect(deviations, "samples of the zones that differed from what 0.14.2 made").toEqual([]);
    expect(zoneSnapshot()).toEqual(baseline);
    expect(writes(suite.api.requests.all.slice(baselineRequests))).toEqual([]);
    expect(
      suite.api.requests.count(
        (request) => request.status >= 400 && request.tokenId !== "bootstrap",
      ),
    ).toBe(0);
  });

  it("npm run verify lists 0.14's untyped ownership records, which 0.21 would leave behind", async () => {
    const { results } = await dns().verify();
    expect(
      results.filter((result) => result.status === "fail"),
      summarize(results).join("\n"),
    ).toEqual([]);
    expect(results.find((result) => result.check === "0.14 ownership records")).toMatchObject({
      status: "warn",
      detail: `ownership records in external-dns 0.14's untyped form, beside the typed ones 0.21 reads: ${UNTYPED_NAMES.join(", ")}`,
    });
  });

  it("0.21 owns the old records: deleting the Service deletes its record and ownership records under sync", async () => {
    const [web, ...others] = HOSTS;
    const othersBefore = others.map((host) => [...recordsNamed(host.name), ...ownershipOf(host)]);
    const since = suite.api.requests.all.length;
    await suite.cluster.delete(serviceRef(suite.namespace, "web"));
    await waitForDeletion(web.name);
    await dns().waitForReconciles(2, COM.id);
    expect(ownershipOf(web).map((record) => record.name)).toEqual(LEFT_BEHIND_ON_DELETE);
    expect(others.map((host) => [...recordsNamed(host.name), ...ownershipOf(host)])).toEqual(
      othersBefore,
    );
    expect(
      writes(suite.api.requests.all.slice(since)).filter((write) => !/ 200 /.test(write)),
    ).toEqual([]);
    expect(dns().pods.errorLines()).toEqual([]);
  });

  it("verify fails on the untyped name left behind; deleting the untyped names as its hints say leaves nothing to fix, and external-dns does not write them again", async () => {
    const before = await dns().verify();
    expect(before.results.find((result) => result.check === "orphans")).toMatchObject({
      status: "fail",
      detail: `ownership records left without their record: ${LEFT_BEHIND_ON_DELETE.join(", ")}`,
    });
    // What the user does in Cloudflare's dashboard: delete every untyped name verify listed.
    for (const zone of [COM, ORG])
      suite.api.state.replaceRecords(
        zone.id,
        suite.api.state.records(zone.id).filter((record) => !UNTYPED_NAMES.includes(record.name)),
      );
    const since = suite.api.requests.all.length;
    await dns().waitForReconciles(2, COM.id);
    expect(writes(suite.api.requests.all.slice(since))).toEqual([]);
    const after = await dns().verify();
    expect(
      after.results.filter((result) => result.status === "fail"),
      summarize(after.results).join("\n"),
    ).toEqual([]);
    expect(
      after.results.find((result) => result.check === "0.14 ownership records"),
    ).toBeUndefined();
  });

  it("no object of the old release is left: every object chart 1.14.5 made is now the new chart's, managed by Pulumi", async () => {
    expect(oldObjects.map((object) => object.kind).sort()).toEqual(
      ["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount"].sort(),
    );
    for (const { apiVersion, kind, name } of oldObjects) {
      const object = await suite.cluster.get({
        apiVersion,
        plural: PLURALS[kind],
        namespace: kind.startsWith("Cluster") ? undefined : suite.namespace,
        name,
      });
      expect(object?.metadata.labels?.["helm.sh/chart"], `${kind} ${name}`).toBe(
        "external-dns-1.21.1",
      );
      const managers = (object?.metadata.managedFields ?? []).map((field) => field.manager ?? "");
      expect(
        managers.some((manager) => /pulumi/.test(manager)),
        `${kind} ${name} managed by Pulumi`,
      ).toBe(true);
    }
    expect(await helmReleaseSecrets()).toEqual([]);
    // (The old ReplicaSet, scaled to 0, is the Deployment's rollout history and goes with it.)
    const leftovers = (await suite.cluster.namespaceObjects(suite.namespace)).filter(
      (object) =>
        object.kind !== "ReplicaSet" &&
        object.metadata.labels?.["helm.sh/chart"] === `external-dns-${OLD_CHART_VERSION}`,
    );
    expect(leftovers.map((object) => `${object.kind} ${object.metadata.name}`)).toEqual([]);
  });

  it("after the adoption, the next preview (without the switch) has nothing to change, and verify sees the minted token in use", async () => {
    const preview = await suite.project.preview(["--expect-no-changes"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(await tokenInUse()).toMatchObject({ status: "pass" });
  });
});

/** The names of the records left after the adoption phase, before and after the move to the apex-safe prefix. */
const MOVED = [
  {
    host: "shop.example.com",
    from: "externaldns-cname-shop.example.com",
    to: "externaldns-cname.shop.example.com",
  },
  {
    host: "api.example.com",
    from: "externaldns-a-api.example.com",
    to: "externaldns-a.api.example.com",
  },
];
const NEW_PREFIX = "externaldns-%{record_type}.";

describe("then moving the records to the apex-safe prefix (migrateFromTxtPrefix)", () => {
  let before: DnsRecord[] = [];
  let since = 0;
  const nonOwnership = () =>
    zoneSnapshot().filter((line) => !/ TXT /.test(line) || !/heritage=external-dns/.test(line));

  it("pulumi preview lists the move step and says what it will do", async () => {
    await suite.project.configure({
      "external-dns:txtPrefix": NEW_PREFIX,
      "external-dns:migrateFromTxtPrefix": OLD_PREFIX,
    });
    before = MOVED.flatMap((move) => recordsNamed(move.from));
    expect(before.map((record) => record.name)).toEqual(MOVED.map((move) => move.from));
    const preview = await suite.project.preview();
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(preview.output).toContain(
      'Moving the ownership records of owner vanixiets-cluster from prefix "externaldns-" to "externaldns-%{record_type}." (external-dns:migrateFromTxtPrefix): Deployment e2e-migration/external-dns rolls to the new prefix first',
    );
    expect(preview.output).toMatch(
      /\+ +vanixiets:dns:TxtOwnershipMove +external-dns-txt-ownership-move +create/,
    );
    expect(preview.output).toMatch(
      /\+ +command:local:Command +external-dns-txt-ownership-move-copy +create/,
    );
    expect(MOVED.flatMap((move) => recordsNamed(move.from))).toEqual(before);
  });

  it("pulumi up rolls external-dns to the new prefix, then moves each ownership record in one batch, after the old process stopped", async () => {
    startSampling(nonOwnership);
    since = suite.api.requests.all.length;
    const processesBefore = dns().pods.history.length;
    const up = await suite.project.up();
    clearInterval(sampler);
    expect(up.exitCode, describeRun(up)).toBe(0);
    for (const move of MOVED) expect(up.output).toContain(`example.com: ${move.from} → ${move.to}`);
    expect(up.output).toContain(
      'Moved the ownership records of owner vanixiets-cluster, from prefix "externaldns-" to "externaldns-%{record_type}.": 2 written under the new name, 2 old name(s) deleted.',
    );
    const token = suite.api.state.tokenValue(dns().runningTokenId());
    expect(up.output).not.toContain(token);
    // The step's stdin holds the token: the state keeps it encrypted, like every other input that does.
    expect(await suite.project.exportState()).not.toContain(token);

    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    expect(containerArgs(deployment)).toContain(`--txt-prefix=${NEW_PREFIX}`);
    const history = dns().pods.history;
    expect(history).toHaveLength(processesBefore + 1);
    expect(dns().pods.maxConcurrent(), "external-dns processes running at once").toBe(1);
    const [previous, current] = history.slice(-2);
    const batches = suite.api.requests.all
      .slice(since)
      .filter((request) => request.kind === "dns_records.batch");
    expect(
      batches.map((request) => `${request.status} ${request.recordNames?.sort().join(",")}`),
    ).toEqual([
      `200 ${MOVED.flatMap((move) => [move.from, move.to])
        .sort()
        .join(",")}`,
    ]);
    expect(previous.stoppedAt ?? Number.POSITIVE_INFINITY).toBeLessThan(batches[0].time);
    expect(current.startedAt).toBeLessThan(batches[0].time);
  });

  it("no record changed at any point; each ownership record has its new name, the same content, and no old name is left", async () => {
    expect(
      deviations,
      "samples of the zones' records (ownership records aside) that differed",
    ).toEqual([]);
    expect(nonOwnership()).toEqual(baseline);
    for (const [index, move] of MOVED.entries()) {
      expect(recordsNamed(move.from)).toEqual([]);
      const [moved, ...more] = recordsNamed(move.to);
      expect(more).toEqual([]);
      expect({ content: moved.content, ttl: moved.ttl }).toEqual({
        content: before[index].content,
        ttl: before[index].ttl,
      });
    }
    expect(
      writes(suite.api.requests.all.slice(since)).filter((write) => !/ 200 /.test(write)),
    ).toEqual([]);
    expect(suite.api.requests.count((request) => request.status >= 400)).toBe(0);
  });

  it("external-dns on the new prefix owns every record: up to date, and deleting the Ingress deletes its CNAME and new ownership record", async () => {
    await dns().waitForReconciles(2, COM.id);
    expect(dns().pods.errorLines()).toEqual([]);
    expect(dns().pods.crashes()).toEqual([]);
    await dns().pods.waitForLines(UP_TO_DATE, 1);
    const [shop, api] = MOVED;
    const apiBefore = [...recordsNamed(api.host), ...recordsNamed(api.to)];
    await suite.cluster.delete(ingressRef(suite.namespace, "shop"));
    await waitForDeletion(shop.host);
    await dns().waitForReconciles(2, COM.id);
    expect(recordsNamed(shop.to)).toEqual([]);
    expect([...recordsNamed(api.host), ...recordsNamed(api.to)]).toEqual(apiBefore);
    const { results } = await dns().verify();
    expect(
      results.filter((result) => result.status === "fail"),
      summarize(results).join("\n"),
    ).toEqual([]);
    expect(results.find((result) => result.check === "orphans")).toMatchObject({ status: "pass" });
    expect(results.find((result) => result.check === "ownership move")).toMatchObject({
      status: "pass",
    });
  });

  it("the next preview has nothing to change", async () => {
    const preview = await suite.project.preview(["--expect-no-changes"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
  });
});
