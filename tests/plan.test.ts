/**
 * `npm run plan`: the real CLI against Pulumi.production.yaml, and a check that
 * the plan and the program cannot drift apart.
 */
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { SECRET_CHECKSUM_ANNOTATION, tokenRolloutChecksum } from "../components/chartValues";
import { tokenSpec } from "../components/tokenLifecycle";
import { runPlanCli } from "../plan/cli";
import type { Plan } from "../plan/report";
import { stackConfig } from "../stacks/stackFiles";
import { runInProcess, runScript } from "./support/cli";
import { LOOKED_UP_ZONE_IDS, resolved } from "./support/mocks";
import { type ProgramRun, runProgram } from "./support/program";

/** `npm run plan` as a real process: the entry point, its exit code and its stderr. */
function planProcess(...args: string[]) {
  return runScript("plan/cli.ts", ...args);
}

/** The same CLI in this process (one module load for the whole file), with its exit code. */
async function plan(
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runInProcess(runPlanCli, args, {});
  return { status: code, stdout, stderr };
}

/** The plan runs with the real clock: the production token of today's rotation period. */
function productionToken() {
  return tokenSpec(
    {
      txtOwnerId: "hetzner-production",
      tokenRotationDays: 90,
      tokenOwner: "account",
      accountId: "9a7806061c88ada191ed06f989cc3dac",
    },
    "production",
    new Date(),
  );
}

let human: ReturnType<typeof planProcess>;
let json: Plan;

beforeAll(async () => {
  human = planProcess("production");
  const machine = await plan("production", "--json");
  expect(machine.status, machine.stderr).toBe(0);
  json = JSON.parse(machine.stdout);
});

describe("plan for the production stack (human)", () => {
  it("succeeds and says it ran offline", () => {
    expect(human.status, human.stderr).toBe(0);
    expect(human.stderr).toBe("");
    expect(human.stdout).toMatch(
      /^Plan for stack production \(offline: no Cloudflare, cluster or Pulumi service was contacted\)\n/,
    );
  });

  it("lists the resources grouped under the component", () => {
    expect(human.stdout).toContain(
      [
        "  + vanixiets:dns:ExternalDns external-dns",
        "    + vanixiets:dns:CloudflareDnsToken external-dns-token",
        "      + cloudflare:index/accountToken:AccountToken external-dns-token",
        "    + kubernetes:core/v1:Namespace external-dns-namespace",
        "    + vanixiets:dns:EncryptedSopsSecret external-dns-cloudflare",
        "      + command:local:Command external-dns-cloudflare-sops-encrypt",
        "      + kubernetes:isindir.github.com/v1alpha3:SopsSecret external-dns-cloudflare",
      ].join("\n"),
    );
    expect(human.stdout).not.toContain("CustomResourceDefinition");
    expect(human.stdout).toContain("    + kubernetes:helm.sh/v4:Chart external-dns-chart");
  });

  it("states the token's scope, owner, expiry and next rotation in plain words", () => {
    const token = productionToken();
    expect(human.stdout).toContain(
      [
        "Cloudflare token:",
        `  name: ${token.name}`,
        "  may: DNS Write + Zone Read, and nothing else",
        "  on zones: example.com (023e105f4ecef8ad9ca31a8372d0c353), example.org (<zone id of example.org, looked up at deploy>)",
        "  from client IPs: 203.0.113.10/32, 2001:db8:10::/48",
        "  owned by: account 9a7806061c88ada191ed06f989cc3dac",
        `  expires: ${token.expiresOn}`,
        `  next rotation: due from ${token.nextRotation} (the first pulumi up after it mints a new token)`,
      ].join("\n"),
    );
  });

  it("shows the SopsSecret with the token as a placeholder, its recipients and the GitOps path", () => {
    expect(human.stdout).toContain(
      "SopsSecret external-dns/external-dns-cloudflare → Secret cloudflare-api-token, key CF_API_TOKEN:",
    );
    expect(human.stdout).toContain(
      "  encrypted for: age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc, age1sppnsegw58drw5uswwnzjeraghzdmmc7evs03v0nssw9hlh44dlqhjdf5g",
    );
    expect(human.stdout).toContain(
      "  GitOps copy: k8s/secrets/production/external-dns-cloudflare.enc.yaml",
    );
    expect(human.stdout).toContain("            CF_API_TOKEN: <minted at deploy>");
  });

  it("shows the chart, its values as YAML and the container arguments", () => {
    expect(human.stdout).toContain(
      "Chart external-dns 1.22.0 (external-dns 0.22.0) from https://kubernetes-sigs.github.io/external-dns/, release external-dns in namespace external-dns:\n" +
        "  annotations: external-dns 0.22.0 reads external-dns.alpha.kubernetes.io/ only (--annotation-prefix=external-dns.alpha.kubernetes.io/)\n",
    );
    expect(human.stdout).toContain("    provider:\n      name: cloudflare\n");
    expect(human.stdout).toContain(
      "    --zone-id-filter=<zone id of example.org, looked up at deploy>\n",
    );
    // Known before deploy: the dry run shows the final value.
    const token = productionToken();
    const rollout = tokenRolloutChecksum({
      tokenName: token.name,
      tokenExpiresOn: token.expiresOn,
      tokenAccountId: token.accountId,
      recipients: JSON.parse(stackConfig("production")["external-dns:sopsAgeRecipients"]),
      namespace: "external-dns",
    });
    expect(human.stdout).toContain(`      ${SECRET_CHECKSUM_ANNOTATION}: ${rollout}\n`);
  });

  it("says what it reads from the cluster directly, before and after the changes", () => {
    expect(human.stdout).toContain(
      [
        "Cluster checks:",
        "  before any change (preview and up): an external-dns already running in namespace external-dns must use --txt-prefix=externaldns-%{record_type}. and --txt-owner-id=hetzner-production, or the run fails, naming the records this stack would orphan; one this program did not deploy is taken over only by a run with PULUMI_K8S_ENABLE_PATCH_FORCE=true; an unreachable cluster warns",
        "  before any change (preview and up): the Gateway API CRDs gateways.gateway.networking.k8s.io (v1), httproutes.gateway.networking.k8s.io (v1) exist and serve those versions; a missing one fails, an unreachable cluster warns",
        "  before any change (preview and up): no watched Service, Ingress, Gateway or route carries an external-dns annotation that external-dns 0.22.0 (reading external-dns.alpha.kubernetes.io/) would not read; one annotated only under another prefix fails, naming the objects, an unreachable cluster warns",
        "  after the SopsSecret is applied (up): sops-secrets-operator reports Healthy and Secret cloudflare-api-token holds the new token before the chart rolls; an operator error fails after 5s, no progress after 120s",
      ].join("\n"),
    );
  });

  it("names the ownership TXT records with the record type", () => {
    expect(human.stdout).toContain("  example.com A → externaldns-a.example.com\n");
    expect(human.stdout).toContain("  www.example.org CNAME → externaldns-cname.www.example.org\n");
  });

  it("estimates the Cloudflare API use against the 1,200 per 5 minutes limit", () => {
    expect(human.stdout).toContain(
      "Cloudflare API use (2 zone(s), 1000 records per zone, page size 5000, every 60s):",
    );
    expect(human.stdout).toContain(
      "  per reconcile: 6 requests (per zone: 1 zone lookup + record pages + 1 empty page that ends the listing)",
    );
    expect(human.stdout).toContain(
      "  per 5 minutes: 30 requests = 2.5% of Cloudflare's limit of 1200 (warning above 50%)",
    );
  });

  it("is stable: the same config gives the same output, in this process as in its own", async () => {
    expect((await plan("production")).stdout).toBe(human.stdout);
  });

  it("takes --records and warns when the estimate gets close to the limit", async () => {
    const busy = await plan("production", "--records", "100000");
    expect(busy.status).toBe(0);
    expect(busy.stdout).toContain("Cloudflare API use (2 zone(s), 100000 records per zone");
    expect(busy.stdout).toMatch(
      /Warnings \(1\):\n {2}! with triggerLoopOnEvent, a steady stream of Kubernetes events could drive 2640 requests/,
    );
  });

  it("takes --hostname: the ownership records of those hostnames, and which the filters leave alone", async () => {
    const asked = await plan(
      "production",
      "--hostname",
      "Shop.Example.COM.",
      "--hostname",
      "x.internal.example.com",
      "--hostname",
      "elsewhere.example.net",
      "--json",
    );
    expect(asked.status, asked.stderr).toBe(0);
    const result = JSON.parse(asked.stdout) as Plan;
    expect(result.ownershipTxtRecords?.map((record) => record.txtName)).toEqual([
      "externaldns-a.shop.example.com",
      "externaldns-aaaa.shop.example.com",
      "externaldns-cname.shop.example.com",
    ]);
    expect(result.unmanagedHostnames).toEqual(["x.internal.example.com", "elsewhere.example.net"]);
    expect(json.unmanagedHostnames).toBeUndefined();
    expect((await plan("production", "--hostname", "shop.example.com")).stdout).toContain(
      "Ownership TXT records external-dns will write for the hostnames asked for (one per record type a hostname gets):\n  shop.example.com A → externaldns-a.shop.example.com\n",
    );
  });

  it("rejects bad usage and unknown stacks with exit code 2", async () => {
    expect((await plan()).status).toBe(2);
    expect((await plan("production", "--records", "many")).status).toBe(2);
    const unknown = planProcess("nosuch");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("no stack file");
  });
});

describe("plan for the production stack (JSON)", () => {
  it("carries the same content as one document", () => {
    expect(json).toMatchObject({
      stack: "production",
      valid: true,
      enabled: true,
      errors: [],
      warnings: [],
    });
    expect(json.token?.zones).toEqual([
      { name: "example.com", id: "023e105f4ecef8ad9ca31a8372d0c353" },
      { name: "example.org", id: "<zone id of example.org, looked up at deploy>" },
    ]);
    expect(json.sopsSecret?.gitopsFile).toBe(
      "k8s/secrets/production/external-dns-cloudflare.enc.yaml",
    );
    expect(json.apiUsage).toMatchObject({
      requestsPerReconcile: 6,
      requestsPerWindow: 30,
      recordsPerZone: 1000,
    });
  });
});

describe("plan and program cannot drift apart", () => {
  let program: ProgramRun;
  // The plan's placeholders, as the test world answers them.
  const asTestWorld = (value: unknown) =>
    JSON.parse(
      JSON.stringify(value).replaceAll(
        "<zone id of example.org, looked up at deploy>",
        LOOKED_UP_ZONE_IDS["example.org"],
      ),
    );

  beforeAll(async () => {
    program = await runProgram("production", stackConfig("production"));
  });

  it("lists exactly the resources the program registers", () => {
    const flatten = (resources: Plan["resources"]): string[] =>
      resources.flatMap((resource) => [
        `${resource.type} ${resource.name}`,
        ...flatten(resource.children),
      ]);
    const registered = program.record.resources
      .filter((resource) => resource.type !== "pulumi:pulumi:Stack")
      .map((resource) => `${resource.type} ${resource.name}`);
    expect(flatten(json.resources).sort()).toEqual(registered.sort());
  });

  it("shows the chart values and arguments the program registers", async () => {
    const [chart] = program.record.ofType("kubernetes:helm.sh/v4:Chart");
    const { podAnnotations: _planned, ...plannedValues } = asTestWorld(json.chart?.values);
    const { podAnnotations: _registered, ...registeredValues } = chart.inputs.values as Record<
      string,
      unknown
    >;
    expect(plannedValues).toEqual(registeredValues);
    const args = await resolved(program.exports.externalDnsArgs as pulumi.Output<string[]>);
    expect(asTestWorld(json.chart?.containerArgs)).toEqual(args);
  });

  it("shows the ownership records the program exports", () => {
    expect(json.ownershipTxtRecords).toEqual(program.exports.ownershipTxtRecords);
  });
});
