/**
 * The whole program, loaded from index.ts with Pulumi.production.yaml's config.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { SECRET_CHECKSUM_ANNOTATION, tokenRolloutChecksum } from "../components/chartValues";
import { tokenSpec } from "../components/tokenLifecycle";
import { stackConfig } from "../stacks/stackFiles";
import { plaintextOccurrences } from "./support/leaks";
import {
  FAKE_KUBECONFIG,
  fakeEncrypt,
  LOOKED_UP_ZONE_IDS,
  MINTED_TOKEN,
  resolved,
  TOKEN_ID,
} from "./support/mocks";
import { type ProgramRun, runProgram } from "./support/program";

const PRODUCTION_ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const ORG_ZONE_ID = LOOKED_UP_ZONE_IDS["example.org"];

let run: ProgramRun;
const warn = vi.spyOn(pulumi.log, "warn");
let warnings: string[];

/** The program reads the clock for the token's rotation period: pin it. */
const NOW = new Date("2026-11-25T12:00:00Z");
const ACCOUNT_ID = "9a7806061c88ada191ed06f989cc3dac";
const expectedToken = tokenSpec(
  {
    txtOwnerId: "hetzner-production",
    tokenRotationDays: 90,
    tokenOwner: "account",
    accountId: ACCOUNT_ID,
  },
  "production",
  NOW,
);

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
  run = await runProgram("production", stackConfig("production"));
  // Vitest clears mock calls before each test: keep what the program and the runtime logged.
  warnings = warn.mock.calls.map(([message]) => message);
});
afterAll(() => {
  vi.useRealTimers();
  warn.mockRestore();
});

/** The sops encryption; the other Command is the pod restart step. */
function sopsCommand() {
  const found = run.record
    .ofType("command:local:Command")
    .filter((resource) => resource.name.endsWith("-sops-encrypt"));
  expect(found).toHaveLength(1);
  return found[0];
}

function one(type: string) {
  const found = run.record.ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0];
}

describe("production stack", () => {
  it("registers the component tree, and only that", () => {
    const types = run.record.resources.map((resource) => resource.type).sort();
    expect(types).toEqual(
      [
        "cloudflare:index/accountToken:AccountToken",
        "command:local:Command",
        "command:local:Command",
        "command:local:Command",
        "kubernetes:core/v1:Namespace",
        "kubernetes:helm.sh/v4:Chart",
        "kubernetes:isindir.github.com/v1alpha3:SopsSecret",
        "pulumi:providers:kubernetes",
        "pulumi:pulumi:Stack",
        "pulumi:pulumi:StackReference",
        "vanixiets:dns:CloudflareDnsToken",
        "vanixiets:dns:EncryptedSopsSecret",
        "vanixiets:dns:ExternalDns",
        "vanixiets:dns:LeftoverTokenCleanup",
        "vanixiets:dns:PodRestartOnNewToken",
      ].sort(),
    );
  });

  it("drives Kubernetes through the cluster stack's kubeconfig", () => {
    expect(one("pulumi:pulumi:StackReference").inputs.name).toBe(
      "vanixiets/hetzner-cluster/production",
    );
    expect(one("pulumi:providers:kubernetes").inputs.kubeconfig).toBe(FAKE_KUBECONFIG);
  });

  it("mints a token scoped to exactly the configured zones, from the cluster's egress IPs", () => {
    const token = one("cloudflare:index/accountToken:AccountToken").inputs;
    expect(token.accountId).toBe(ACCOUNT_ID);
    expect(token.condition).toEqual({
      requestIp: { ins: ["203.0.113.10/32", "2001:db8:10::/48"] },
    });
    const [policy, ...others] = token.policies as {
      effect: string;
      resources: string;
      permissionGroups: unknown;
    }[];
    expect(others).toEqual([]);
    expect(policy.effect).toBe("allow");
    expect(JSON.parse(policy.resources)).toEqual({
      [`com.cloudflare.api.account.zone.${PRODUCTION_ZONE_ID}`]: "*",
      [`com.cloudflare.api.account.zone.${ORG_ZONE_ID}`]: "*",
    });
    expect(policy.permissionGroups).toEqual([
      { id: "4755a26eedb94da69e1066d98aa820be" },
      { id: "c8fed203ed3043cba015a93ad1616f1f" },
    ]);
  });

  it("carries the rotation period in its name and expires two weeks after the next rotation", () => {
    const token = one("cloudflare:index/accountToken:AccountToken").inputs;
    expect(expectedToken.name).toBe(
      "external-dns production (owner hetzner-production, rotated 2026-10-25)",
    );
    expect(token.name).toBe(expectedToken.name);
    expect(token.expiresOn).toBe("2027-02-06T00:00:00Z");
    expect(expectedToken.nextRotation).toBe("2027-01-23T00:00:00Z");
  });

  it("replaces the token on rotation by creating the new one before deleting the old one", () => {
    const token = run.constructed.find(
      (resource) => resource.type === "cloudflare:index/accountToken:AccountToken",
    );
    expect(token?.opts.replaceOnChanges).toEqual(["name", "expiresOn"]);
    expect((token?.opts as pulumi.CustomResourceOptions | undefined)?.deleteBeforeReplace).toBe(
      false,
    );
  });

  it("resolves the permission groups in the account's scope", () => {
    const lookups = run.record.invokes.filter((invoke) =>
      invoke.token.includes("PermissionGroupsList"),
    );
    expect(lookups.map((invoke) => invoke.token)).toEqual([
      "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList",
      "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList",
    ]);
    expect(lookups.map((invoke) => invoke.args)).toEqual([
      { accountId: ACCOUNT_ID, name: "DNS%20Write", scope: "com.cloudflare.api.account.zone" },
      { accountId: ACCOUNT_ID, name: "Zone%20Read", scope: "com.cloudflare.api.account.zone" },
    ]);
  });

  it("looks up only the zones the config gives without an id", () => {
    const lookups = run.record.invokes.filter(
      (invoke) => invoke.token === "cloudflare:index/getZone:getZone",
    );
    expect(lookups.map((invoke) => invoke.args.filter)).toEqual([
      { name: "example.org", match: "all" },
    ]);
  });

  it("creates the namespace with Pod Security 'restricted'", () => {
    const metadata = one("kubernetes:core/v1:Namespace").inputs.metadata as {
      name: string;
      labels: object;
    };
    expect(metadata.name).toBe("external-dns");
    expect(metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
  });

  it("encrypts with sops for the configured recipients and writes the GitOps copy", () => {
    const encrypt = sopsCommand().inputs;
    expect(encrypt.create).toContain(
      "--age 'age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc,age1sppnsegw58drw5uswwnzjeraghzdmmc7evs03v0nssw9hlh44dlqhjdf5g'",
    );
    expect(encrypt.create).toContain("--encrypted-suffix Templates");
    expect(encrypt.environment).toEqual({
      EXTERNAL_DNS_SOPS_OUTPUT_FILE: "k8s/secrets/production/external-dns-cloudflare.enc.yaml",
    });
    const manifest = parse(String(encrypt.stdin));
    expect(manifest.metadata).toEqual({
      name: "external-dns-cloudflare",
      namespace: "external-dns",
    });
    expect(manifest.spec.secretTemplates).toEqual([
      { name: "cloudflare-api-token", stringData: { CF_API_TOKEN: MINTED_TOKEN } },
    ]);
  });

  it("applies what sops wrote, deleted with background propagation", () => {
    const sopsOutput = parse(fakeEncrypt(sopsCommand().inputs));
    const sopsSecret = one("kubernetes:isindir.github.com/v1alpha3:SopsSecret");
    expect(sopsSecret.name).toBe("external-dns-cloudflare");
    expect(sopsSecret.inputs).toEqual({
      apiVersion: "isindir.github.com/v1alpha3",
      kind: "SopsSecret",
      metadata: {
        name: "external-dns-cloudflare",
        namespace: "external-dns",
        annotations: { "pulumi.com/deletionPropagationPolicy": "background" },
      },
      spec: sopsOutput.spec,
      sops: sopsOutput.sops,
    });
  });

  it("installs the chart after the SopsSecret (and once the operator has decrypted it)", async () => {
    const chart = run.constructed.find(
      (resource) => resource.type === "kubernetes:helm.sh/v4:Chart",
    );
    const dependsOn = chart?.opts.dependsOn as pulumi.Resource[];
    const urns = await Promise.all(dependsOn.map((dependency) => resolved(dependency.urn)));
    const typeAndName = (urn: string) => {
      const [typeChain, name] = urn.split("::").slice(-2);
      return `${typeChain.split("$").pop()} ${name}`;
    };
    expect(urns.map(typeAndName)).toEqual([
      "kubernetes:isindir.github.com/v1alpha3:SopsSecret external-dns-cloudflare",
    ]);
  });

  it("registers no CRD reads: the Gateway API check reads the cluster directly", () => {
    expect(
      run.record.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"),
    ).toEqual([]);
  });

  it("deploys the chart from the configured repository with Cloudflare values", async () => {
    const chart = one("kubernetes:helm.sh/v4:Chart").inputs;
    expect(chart).toMatchObject({
      chart: "external-dns",
      repositoryOpts: { repo: "https://kubernetes-sigs.github.io/external-dns/" },
      version: "1.22.0",
      name: "external-dns",
      namespace: "external-dns",
    });
    const values = chart.values as Record<string, unknown>;
    expect(values.provider).toEqual({ name: "cloudflare" });
    expect(values.env).toEqual([
      {
        name: "CF_API_TOKEN",
        valueFrom: { secretKeyRef: { name: "cloudflare-api-token", key: "CF_API_TOKEN" } },
      },
    ]);
    expect(values.extraArgs).toEqual([
      `--zone-id-filter=${PRODUCTION_ZONE_ID}`,
      `--zone-id-filter=${ORG_ZONE_ID}`,
      "--no-cloudflare-proxied",
      "--cloudflare-dns-records-per-page=5000",
    ]);
  });

  it("rolls the pods on a new token or new recipients, from inputs known at preview", () => {
    const values = one("kubernetes:helm.sh/v4:Chart").inputs.values as {
      podAnnotations: Record<string, string>;
    };
    expect(values.podAnnotations[SECRET_CHECKSUM_ANNOTATION]).toBe(
      tokenRolloutChecksum({
        tokenName: expectedToken.name,
        tokenExpiresOn: expectedToken.expiresOn,
        tokenAccountId: ACCOUNT_ID,
        recipients: JSON.parse(stackConfig("production")["external-dns:sopsAgeRecipients"]),
        namespace: "external-dns",
      }),
    );
  });

  it("logs no warning: the config is clean and every stack output has a value", () => {
    expect(warnings).toEqual([]);
  });

  it("exports the deployment's facts and no token value", async () => {
    const { exports } = run;
    expect(exports.enabled).toBe(true);
    expect(exports.releaseName).toBe("external-dns");
    expect(await resolved(exports.namespace as pulumi.Output<string>)).toBe("external-dns");
    expect(await resolved(exports.tokenId as pulumi.Output<string>)).toBe(TOKEN_ID);
    expect(exports.tokenExpiresOn).toBe("2027-02-06T00:00:00Z");
    expect(exports.tokenNextRotation).toBe("2027-01-23T00:00:00Z");
    expect(await resolved(exports.zoneIds as pulumi.Output<string[]>)).toEqual([
      PRODUCTION_ZONE_ID,
      ORG_ZONE_ID,
    ]);
    const args = await resolved(exports.externalDnsArgs as pulumi.Output<string[]>);
    expect(args).toEqual([
      "--log-level=info",
      "--log-format=text",
      "--interval=1m",
      "--events",
      "--source=service",
      "--source=ingress",
      "--source=gateway-httproute",
      "--policy=sync",
      "--registry=txt",
      "--txt-owner-id=hetzner-production",
      "--txt-prefix=externaldns-%{record_type}.",
      "--domain-filter=example.com",
      "--domain-filter=example.org",
      "--exclude-domains=internal.example.com",
      "--annotation-prefix=external-dns.alpha.kubernetes.io/",
      "--provider=cloudflare",
      `--zone-id-filter=${PRODUCTION_ZONE_ID}`,
      `--zone-id-filter=${ORG_ZONE_ID}`,
      "--no-cloudflare-proxied",
      "--cloudflare-dns-records-per-page=5000",
    ]);
    expect(exports.ownershipTxtRecords).toContainEqual({
      host: "example.com",
      recordType: "A",
      txtName: "externaldns-a.example.com",
    });
    expect(exports.ownershipTxtRecords).toContainEqual({
      host: "www.example.org",
      recordType: "CNAME",
      txtName: "externaldns-cname.www.example.org",
    });
  });
});

describe("token secrecy", () => {
  it("the scan finds the token where it is carried: the sops command's stdin, as a secret", async () => {
    const encrypt = run.constructed.find((resource) => resource.type === "command:local:Command");
    const stdin = encrypt?.props.stdin as pulumi.Output<string>;
    expect(await pulumi.isSecret(stdin)).toBe(true);
    expect(await plaintextOccurrences(pulumi.unsecret(stdin), MINTED_TOKEN)).toEqual(["$"]);
  });

  it("no registered input holds the token outside a Pulumi secret", async () => {
    const leaks = await Promise.all(
      run.constructed.map(async (resource) =>
        (await plaintextOccurrences(resource.props, MINTED_TOKEN)).map(
          (path) => `${resource.type} ${resource.name} ${path}`,
        ),
      ),
    );
    expect(leaks.flat()).toEqual([]);
  });

  it("the engine receives no resource input that holds the token outside a secret", async () => {
    const leaks = await Promise.all(
      run.record.resources.map(async (resource) =>
        (await plaintextOccurrences(resource.wireInputs, MINTED_TOKEN)).map(
          (path) => `${resource.type} ${path}`,
        ),
      ),
    );
    expect(leaks.flat()).toEqual([]);
    const encrypt = sopsCommand();
    expect(await plaintextOccurrences(encrypt.inputs, MINTED_TOKEN)).toEqual(["$.stdin"]);
  });

  it("no stack output holds the token outside a Pulumi secret", async () => {
    expect(await plaintextOccurrences({ ...run.exports }, MINTED_TOKEN)).toEqual([]);
  });

  it("the token never appears on the command line or in the command's environment", () => {
    const encrypt = sopsCommand().inputs;
    expect(String(encrypt.create)).not.toContain(MINTED_TOKEN);
    expect(JSON.stringify(encrypt.environment)).not.toContain(MINTED_TOKEN);
  });
});
