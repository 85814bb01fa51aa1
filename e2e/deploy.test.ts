/**
 * A first deployment, end to end: preview, up, the cluster's and Cloudflare's
 * state, a no-change preview, destroy. Tests run in order and build on `up`.
 */
import { describe, expect, it } from "vitest";
import { ZONE_SCOPE } from "./support/cloudflareApi";
import { containsSecret, secretPaths } from "./support/leaks";
import {
  availableDeployment,
  containerArgs,
  RELEASE_NAME,
  SOPS_SECRET_NAME,
  secretToken,
  sopsSecretStatus,
  TOKEN_SECRET_NAME,
} from "./support/objects";
import { describeRun, type RunResult } from "./support/project";
import { useStackSuite } from "./support/stackSuite";

const suite = useStackSuite({ stack: "deploy" });

/** The chart's objects that `pulumi preview` must show, by Pulumi type. */
const CHART_OBJECT_TYPES = [
  "kubernetes:apps/v1:Deployment",
  "kubernetes:core/v1:Service",
  "kubernetes:core/v1:ServiceAccount",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
];
/** How the engine writes a value it does not know yet: in JSON, and in a diff. */
const UNKNOWN = ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "[unknown]"];

interface PreviewStep {
  op: string;
  urn: string;
  newState?: { type: string; inputs?: unknown };
}

/** A destroy takes seconds; one stuck deleting an object must not eat the suite's time. */
const DESTROY_TIMEOUT_MS = 120_000;

let up: RunResult | undefined;

/** The minted token, as the stand-in holds it; fails the test unless `up` minted exactly one. */
function mintedToken() {
  expect(up?.exitCode, "pulumi up must have succeeded (see the test above)").toBe(0);
  const tokens = suite.api.state.tokens();
  expect(tokens.map((token) => token.name)).toHaveLength(1);
  const value = suite.api.state.tokenValue(tokens[0].id);
  if (!value) throw new Error(`the stand-in has no value for token ${tokens[0].id}`);
  return { ...tokens[0], value };
}

describe("a first deployment", () => {
  it("the first preview shows every object the chart renders, none with an unknown input", async () => {
    const preview = await suite.project.preview(["--json"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    const steps = (JSON.parse(preview.stdout).steps ?? []) as PreviewStep[];
    const types = steps.map((step) => step.newState?.type ?? step.urn.split("::")[2]);
    const chartSteps = steps.filter((step) =>
      CHART_OBJECT_TYPES.includes(step.newState?.type ?? ""),
    );
    expect(
      [...new Set(chartSteps.map((step) => step.newState?.type))].sort(),
      `the preview's resources: ${types.join(", ")}`,
    ).toEqual(CHART_OBJECT_TYPES);
    // Only the inputs: on a fresh stack the default provider's reference is unknown for every resource.
    const unknownInputs = chartSteps
      .filter((step) =>
        UNKNOWN.some((marker) => JSON.stringify(step.newState?.inputs ?? {}).includes(marker)),
      )
      .map((step) => step.urn);
    expect(unknownInputs, "chart objects with unknown inputs").toEqual([]);
  });

  it("pulumi up succeeds", async () => {
    up = await suite.project.up();
    expect(up.exitCode, describeRun(up)).toBe(0);
  });

  // Diagnostics (the program's, the engine's, the providers') are printed as `warning:` lines;
  // progress notes of an await, like "[MinimumReplicasUnavailable]" on a status line, are not.
  it("pulumi up prints no warning", () => {
    expect(up, "pulumi up must have run").toBeDefined();
    const warnings = (up?.output ?? "").split("\n").filter((line) => /^\s*warning:/i.test(line));
    expect(warnings).toEqual([]);
  });

  it("mints exactly one token: DNS Write + Zone Read on exactly the stack's zones, from 127.0.0.1/32", async () => {
    const token = mintedToken();
    const outputs = await suite.project.outputs();
    expect(outputs.tokenId).toBe(token.id);
    expect(suite.api.requests.count({ kind: "tokens.create" })).toBe(1);
    expect(token.owner).toEqual({ kind: "user" });
    expect(token.effectiveStatus).toBe("active");
    expect(token.policies).toHaveLength(1);
    const [policy] = token.policies;
    expect(policy.effect).toBe("allow");
    const groups = policy.permission_groups.map(({ id }) =>
      suite.api.state.permissionGroups.find((group) => group.id === id),
    );
    expect(groups.map((group) => group?.name).sort()).toEqual(["DNS Write", "Zone Read"]);
    expect(groups.every((group) => group?.scopes.includes(ZONE_SCOPE))).toBe(true);
    const zoneIds = suite.zones.map((zone) => zone.id);
    expect(policy.resources).toEqual(
      Object.fromEntries(zoneIds.map((id) => [`${ZONE_SCOPE}.${id}`, "*"])),
    );
    expect(outputs.zoneIds).toEqual(zoneIds);
    expect(token.condition?.request_ip?.in).toEqual(["127.0.0.1/32"]);
    expect(token.condition?.request_ip?.not_in ?? []).toEqual([]);
  });

  it("the operator decrypts the SopsSecret into the Secret, which holds the minted token", async () => {
    const token = mintedToken();
    expect(await sopsSecretStatus(suite.cluster, suite.namespace)).toBe("Healthy");
    const held = await secretToken(suite.cluster, suite.namespace);
    expect(held !== undefined, `Secret ${TOKEN_SECRET_NAME} has no CF_API_TOKEN`).toBe(true);
    expect(held === token.value, "the Secret holds the minted token (values not shown)").toBe(true);
  });

  it("the Deployment becomes available, running with the arguments of the stack output and of npm run plan", async () => {
    expect(up?.exitCode, "pulumi up must have succeeded").toBe(0);
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    const args = containerArgs(deployment);
    const outputs = await suite.project.outputs();
    expect(args).toEqual(outputs.externalDnsArgs);

    const plan = await suite.project.run(
      "npm",
      ["run", "--silent", "plan", "--", suite.stack, "--json"],
      { timeoutMs: 120_000 },
    );
    expect(plan.exitCode, describeRun(plan)).toBe(0);
    // The plan is offline: zones looked up at deploy time appear as placeholders.
    const planned = (JSON.parse(plan.stdout).chart.containerArgs as string[]).map((arg) =>
      arg.replace(
        /<zone id of ([^,>]+), looked up at deploy>/,
        (_, name: string) => suite.api.state.zoneByName(name)?.id ?? name,
      ),
    );
    expect(args).toEqual(planned);
  });

  it("the token is in no Kubernetes object but the Secret, and never in plaintext in the Pulumi state", async () => {
    const token = mintedToken();
    const objects = await suite.cluster.namespaceObjects(suite.namespace);
    const isTheSecret = (kind?: string, name?: string) =>
      kind === "Secret" && name === TOKEN_SECRET_NAME;
    const scanned = new Set(objects.map((object) => object.kind));
    for (const kind of ["SopsSecret", "Deployment", "ReplicaSet", "Pod", "ConfigMap", "Event"])
      expect([...scanned], `the scan saw no ${kind}`).toContain(kind);
    // The scan finds the value where it is meant to be.
    const secret = objects.find((object) => isTheSecret(object.kind, object.metadata.name));
    expect(secretPaths(secret, token.value).length).toBeGreaterThan(0);

    const leaks = objects
      .filter((object) => !isTheSecret(object.kind, object.metadata.name))
      .flatMap((object) =>
        secretPaths(object, token.value).map(
          (path) => `${object.kind}/${object.metadata.name} at ${path}`,
        ),
      );
    expect(leaks, `objects scanned: ${objects.length}`).toEqual([]);

    const exported = await suite.project.exportState();
    expect(exported).toContain(SOPS_SECRET_NAME);
    expect(containsSecret(exported, token.value), "token in `pulumi stack export`").toBe(false);
    const files = suite.project.backendFiles();
    expect(files.length).toBeGreaterThan(0);
    const inFiles = files
      .filter((file) => containsSecret(file.text, token.value))
      .map((file) => file.path);
    expect(inFiles, "backend files holding the token").toEqual([]);
    const withBootstrap = files
      .filter((file) => containsSecret(file.text, suite.api.bootstrapToken))
      .map((file) => file.path);
    expect(withBootstrap, "backend files holding the bootstrap token").toEqual([]);
  });

  it("a second preview expects no changes", async () => {
    expect(up?.exitCode, "pulumi up must have succeeded").toBe(0);
    const preview = await suite.project.preview(["--expect-no-changes", "--diff"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
  });

  it("pulumi destroy deletes the token and every object of the stack", async () => {
    expect(up?.exitCode, "pulumi up must have succeeded").toBe(0);
    const tokenId = mintedToken().id;
    const destroyed = await suite.project.destroy({ timeoutMs: DESTROY_TIMEOUT_MS });
    if (destroyed.exitCode !== 0) {
      const left = await suite.cluster.describeNamespace(suite.namespace);
      expect.fail(`${describeRun(destroyed)}\nleft in namespace ${suite.namespace}:\n${left}`);
    }

    expect(suite.api.state.tokens()).toEqual([]);
    expect(suite.api.requests.count({ kind: "tokens.delete", status: 200 })).toBe(1);
    expect(suite.api.requests.filter({ kind: "tokens.delete" })[0]?.path).toContain(tokenId);

    const namespace = await suite.cluster.get({
      apiVersion: "v1",
      plural: "namespaces",
      name: suite.namespace,
    });
    if (namespace) {
      const left = await suite.cluster.namespaceObjects(suite.namespace);
      // Made by the controller manager in every namespace, not by the stack.
      const automatic = ["ConfigMap/kube-root-ca.crt", "ServiceAccount/default"];
      const ours = left.filter(
        (object) => !automatic.includes(`${object.kind}/${object.metadata.name}`),
      );
      expect(ours.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([]);
    }
    const rbac = "rbac.authorization.k8s.io/v1";
    const bindings = await suite.cluster.list({ apiVersion: rbac, plural: "clusterrolebindings" });
    const ourBindings = bindings.filter((binding) =>
      (binding.subjects ?? []).some(
        (subject: { namespace?: string }) => subject.namespace === suite.namespace,
      ),
    );
    expect(ourBindings.map((binding) => binding.metadata.name)).toEqual([]);
    expect(
      await suite.cluster.get({ apiVersion: rbac, plural: "clusterroles", name: RELEASE_NAME }),
    ).toBeUndefined();
    // The chart also installs the DNSEndpoint CRD, cluster-wide.
    expect(
      await suite.cluster.get({
        apiVersion: "apiextensions.k8s.io/v1",
        plural: "customresourcedefinitions",
        name: "dnsendpoints.externaldns.k8s.io",
      }),
    ).toBeUndefined();
  });
});
