/**
 * `npm run plan -- <stack> --against-deployed` against a recorded deployed
 * state: `pulumi stack export` of the e2e rotation stack after its rotating
 * up (tests/fixtures/deployed/), with that stack's file. The e2e suite checks
 * the same comparison against a live stack and the real `pulumi preview`.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ResourceChange } from "../plan/againstDeployed";
import { runPlanCli } from "../plan/cli";
import { parseStackExport, pulumiCli } from "../plan/deployedState";
import type { Plan } from "../plan/report";
import { changedPaths, isReplacedBy, providerReplaceFields } from "../plan/resourceDiff";
import { stackConfig } from "../stacks/stackFiles";
import { runInProcess } from "./support/cli";

const FIXTURES = join(__dirname, "fixtures", "deployed");
const EXPORT = readFileSync(join(FIXTURES, "rotation.export.json"), "utf8");
const DEPLOYED_CONFIG = stackConfig("rotation", FIXTURES);
/** Inside the deployed token's rotation period ("rotated 2027-01-03", 30 days). */
const DEPLOYED_PERIOD = new Date("2027-01-10T12:00:00Z");
const LOGIN_REFUSED =
  "pulumi stack export failed: error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions";

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: DEPLOYED_PERIOD });
});
afterAll(() => {
  vi.useRealTimers();
});

/** The plan against the recorded state, with some keys of the deployed config changed. */
async function against(changes: Record<string, string> = {}, ...args: string[]) {
  return runInProcess(runPlanCli, ["rotation", "--against-deployed", ...args], {
    loadStack: () => ({ ...DEPLOYED_CONFIG, ...changes }),
    stackFiles: () => [],
    pulumi: async (argv: string[]) => {
      expect(argv).toEqual(["stack", "export", "--stack", "rotation", "--non-interactive"]);
      return EXPORT;
    },
  });
}

async function againstJson(changes: Record<string, string> = {}): Promise<Plan> {
  const run = await against(changes, "--json");
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

function rows(plan: Plan): string[] {
  if (!plan.againstDeployed?.read) throw new Error("the state was not read");
  return plan.againstDeployed.changes.map(
    (row: ResourceChange) => `${row.operation} ${row.type} ${row.name} [${row.fields.join(", ")}]`,
  );
}

function consequences(plan: Plan): string[] {
  if (!plan.againstDeployed?.read) throw new Error("the state was not read");
  return plan.againstDeployed.consequences;
}

describe("plan --against-deployed", () => {
  it("says 'no changes' for the config the stack was deployed with, in its rotation period", async () => {
    const run = await against();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "Against the deployed stack rotation (state of 2026-12-05T15:27:42.264293791Z): no changes; pulumi up would change nothing (13 resources the same).",
    );
    // Without changes, no resource is marked in the tree.
    expect(run.stdout).toContain(
      "\n         cloudflare:index/apiToken:ApiToken external-dns-token\n",
    );
  });

  it("a new rotation period: the resources and diffs the real up showed, and what they do", async () => {
    // The e2e rotation's real `pulumi up` printed exactly these steps and [diff: …] fields
    // when its clock passed the rotation date, as this one does (the next is 2027-02-02).
    vi.setSystemTime(new Date("2027-02-03T12:00:00Z"));
    const plan = await againstJson().finally(() => vi.setSystemTime(DEPLOYED_PERIOD));
    expect(rows(plan)).toEqual([
      "replace cloudflare:index/apiToken:ApiToken external-dns-token [expiresOn, name]",
      "update command:local:Command external-dns-leftover-tokens-delete [stdin]",
      "update command:local:Command external-dns-cloudflare-sops-encrypt [stdin]",
      "update kubernetes:isindir.github.com/v1alpha3:SopsSecret external-dns-cloudflare [sops, spec]",
      "replace command:local:Command external-dns-token-restart-check [triggers]",
      "update kubernetes:apps/v1:Deployment external-dns-chart:e2e-rotation/external-dns [pod annotations]",
    ]);
    expect(consequences(plan)).toEqual([
      "A new Cloudflare token is minted (new expiry and name); the old one is deleted at the end of the up, once external-dns reads the new one.",
      "sops encrypts the token again; the operator writes it into the Secret cloudflare-api-token.",
      "external-dns restarts: its pod template changes (pod annotations); the Recreate strategy stops the running pod before the new one starts.",
    ]);
  });

  it("marks each resource of the tree with its operation", async () => {
    const run = await against({ "external-dns:tokenAllowedCidrs": '["10.0.0.0/8"]' });
    expect(run.stdout).toContain(
      "      ~  cloudflare:index/apiToken:ApiToken external-dns-token\n",
    );
    expect(run.stdout).toContain(
      "         command:local:Command external-dns-cloudflare-sops-encrypt\n",
    );
    expect(run.stdout).toContain("       kubernetes:helm.sh/v4:Chart external-dns-chart\n");
    const moved = await against({ "external-dns:namespace": "dns" });
    expect(moved.stdout).toContain("    +- kubernetes:core/v1:Namespace external-dns-namespace\n");
    expect(moved.stdout).toContain("    ~  kubernetes:helm.sh/v4:Chart external-dns-chart\n");
  });

  it("new client IPs update the token in place: same value, nothing restarts", async () => {
    const plan = await againstJson({ "external-dns:tokenAllowedCidrs": '["10.0.0.0/8"]' });
    expect(rows(plan)).toEqual([
      "update cloudflare:index/apiToken:ApiToken external-dns-token [condition]",
    ]);
    expect(consequences(plan)).toEqual([
      "The token is updated in place at Cloudflare (new client IPs): same token, same value.",
    ]);
  });

  it("another policy changes external-dns's arguments only: it restarts, the token stays", async () => {
    const plan = await againstJson({ "external-dns:policy": "upsert-only" });
    expect(rows(plan)).toEqual([
      "update kubernetes:apps/v1:Deployment external-dns-chart:e2e-rotation/external-dns [args]",
    ]);
    expect(consequences(plan)).toEqual([
      "external-dns restarts: its pod template changes (args); the Recreate strategy stops the running pod before the new one starts.",
    ]);
  });

  it("a gateway source also changes the chart's ClusterRole", async () => {
    const plan = await againstJson({ "external-dns:sources": '["service","gateway-httproute"]' });
    expect(rows(plan)).toEqual([
      "update kubernetes:apps/v1:Deployment external-dns-chart:e2e-rotation/external-dns [args]",
      "update kubernetes:rbac.authorization.k8s.io/v1:ClusterRole external-dns-chart:external-dns [rules]",
    ]);
  });

  it("another chart version: every object the chart renders follows it, and external-dns restarts", async () => {
    const plan = await againstJson({ "external-dns:chartVersion": "1.21.1" });
    expect(rows(plan)).toContain(
      "update kubernetes:apps/v1:Deployment external-dns-chart:e2e-rotation/external-dns [chart 1.22.0 → 1.21.1, args, image]",
    );
    expect(rows(plan)).toContain(
      "update kubernetes:rbac.authorization.k8s.io/v1:ClusterRole external-dns-chart:external-dns [chart 1.22.0 → 1.21.1]",
    );
    expect(consequences(plan)).toEqual([
      "The chart moves from 1.22.0 to 1.21.1: every object it renders follows it (pulumi preview shows any it adds or removes).",
      "external-dns restarts: its pod template changes (chart 1.22.0 → 1.21.1, args, image); the Recreate strategy stops the running pod before the new one starts.",
    ]);
  });

  it("another namespace replaces the namespace and the objects in it, and says why that is dangerous", async () => {
    const plan = await againstJson({ "external-dns:namespace": "dns" });
    expect(rows(plan)).toEqual([
      "replace kubernetes:core/v1:Namespace external-dns-namespace [metadata]",
      // Its stdin is a secret, but what sops printed shows the namespace it was given.
      "update command:local:Command external-dns-cloudflare-sops-encrypt [stdin]",
      "replace kubernetes:isindir.github.com/v1alpha3:SopsSecret external-dns-cloudflare [metadata, sops, spec]",
      "replace kubernetes:apps/v1:Deployment external-dns-chart:e2e-rotation/external-dns [metadata]",
      "replace kubernetes:core/v1:ServiceAccount external-dns-chart:e2e-rotation/external-dns [metadata]",
      "update kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding external-dns-chart:external-dns-viewer [subjects]",
      "replace kubernetes:core/v1:Service external-dns-chart:e2e-rotation/external-dns [metadata]",
    ]);
    expect(consequences(plan)).toEqual([
      "DANGER: the namespace e2e-rotation is replaced by dns: Pulumi creates the new one, starts external-dns and the token's Secret anew there, and then deletes e2e-rotation with everything in it, including objects this stack does not manage.",
      "sops encrypts the token again; the operator writes it into the Secret cloudflare-api-token.",
    ]);
  });

  it("a move to another TXT prefix adds the move step, and says what it does", async () => {
    const plan = await againstJson({
      "external-dns:txtPrefix": "txt-%{record_type}.",
      "external-dns:migrateFromTxtPrefix": "externaldns-%{record_type}.",
    });
    expect(rows(plan)).toEqual([
      "create command:local:Command external-dns-txt-ownership-move-copy []",
      "update kubernetes:apps/v1:Deployment external-dns-chart:e2e-rotation/external-dns [args]",
    ]);
    expect(consequences(plan)).toContain(
      "After the rollout, this owner's ownership records move to the new TXT prefix.",
    );
  });

  it("enabled: false deletes everything the stack deployed, and says the records stay", async () => {
    const plan = await againstJson({ "external-dns:enabled": "false" });
    const deployed = parseStackExport("rotation", EXPORT).resources.filter(
      (resource) => resource.custom && !resource.type.startsWith("pulumi:"),
    );
    expect(rows(plan)).toHaveLength(deployed.length);
    expect(rows(plan).every((row) => row.startsWith("delete "))).toBe(true);
    expect(consequences(plan)).toEqual([
      "Everything this stack deployed is deleted: external-dns, the SopsSecret and Secret, and the Cloudflare token. The DNS records external-dns made stay in the zones.",
    ]);
  });

  it("without the backend's credentials: says so, and plans as without the flag (exit 0)", async () => {
    const run = await runInProcess(runPlanCli, ["rotation", "--against-deployed"], {
      loadStack: () => DEPLOYED_CONFIG,
      stackFiles: () => [],
      pulumi: async () => {
        throw new Error(LOGIN_REFUSED);
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `Not compared with the deployed stack: could not read the state of stack rotation (${LOGIN_REFUSED}).`,
    );
    expect(run.stdout).toContain(
      "\n      + cloudflare:index/apiToken:ApiToken external-dns-token\n",
    );
    expect(run.stdout).toContain("Cloudflare token:");
  });

  it("--help lists the option", async () => {
    const run = await runInProcess(runPlanCli, ["--help"], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--against-deployed");
  });
});

describe("reading the state through the Pulumi CLI", () => {
  const directory = mkdtempSync(join(tmpdir(), "pulumi-cli-"));

  it("names a CLI that is not there", async () => {
    const run = pulumiCli(join(directory, "no-such-pulumi"));
    await expect(run(["stack", "export"], directory)).rejects.toThrow(
      `the Pulumi CLI (${join(directory, "no-such-pulumi")}) is not on PATH`,
    );
  });

  it("gives the CLI's own error line as the reason", async () => {
    const fake = join(directory, "pulumi");
    writeFileSync(
      fake,
      "#!/bin/sh\necho 'Logging in…' >&2\necho \"error: no stack named 'rotation' found\" >&2\nexit 255\n",
    );
    chmodSync(fake, 0o755);
    await expect(
      pulumiCli(fake)(["stack", "export", "--stack", "rotation"], directory),
    ).rejects.toThrow("pulumi stack export failed: error: no stack named 'rotation' found");
  });
});

describe("comparing one resource's inputs", () => {
  const secret = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    ciphertext: "v1:x",
  };

  it("lists the paths that differ; absent and null are the same; engine keys are skipped", () => {
    expect(
      changedPaths(
        { metadata: { name: "a", labels: { x: "1" } }, spec: null, __defaults: [] },
        { metadata: { name: "b", labels: { x: "1" } } },
      ),
    ).toEqual(["metadata.name"]);
    expect(changedPaths({ args: ["a", "b"] }, { args: ["b", "a"] })).toEqual(["args"]);
  });

  it("a secret changes exactly when its planned value carries a value new at deploy", () => {
    expect(changedPaths({ stdin: secret }, { stdin: "token: <the deployed token>" })).toEqual([]);
    expect(changedPaths({ stdin: secret }, { stdin: "token: <minted at deploy>" })).toEqual([
      "stdin",
    ]);
    expect(
      changedPaths({ stdin: secret }, { stdin: '{"keepId":"<token id, known after deploy>"}' }),
    ).toEqual(["stdin"]);
  });

  it("replaces where the providers do", () => {
    const deployment = providerReplaceFields("kubernetes:apps/v1:Deployment", {});
    expect(isReplacedBy(["spec.selector.matchLabels"], deployment)).toBe(true);
    expect(isReplacedBy(["spec.template"], deployment)).toBe(false);
    expect(
      isReplacedBy(["metadata.namespace"], providerReplaceFields("kubernetes:core/v1:Secret", {})),
    ).toBe(true);
    expect(providerReplaceFields("command:local:Command", {})).toEqual(["triggers"]);
    expect(providerReplaceFields("command:local:Command", { update: "x" })).toEqual([]);
    expect(providerReplaceFields("cloudflare:index/accountToken:AccountToken", {})).toEqual([
      "accountId",
    ]);
  });
});
