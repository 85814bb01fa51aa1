/**
 * ExternalDns used directly, as a program other than this stack's would: the
 * fewest arguments a user must give, the defaults the component applies from
 * the options' declarations, its own validation and cluster checks (named by
 * argument), and a Kubernetes provider of its own for a given kubeconfig.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ExternalDns, type ExternalDnsArgs } from "../components/externalDns";
import { componentSettings, STACK_ONLY_OPTIONS } from "../components/externalDnsArgs";
import { stepDirectory } from "../components/stepDirectory";
import { RENAME_COMMAND } from "../components/txtOwnerRename";
import { MOVE_COMMAND } from "../components/txtOwnershipMove";
import { loadSettings, type Settings } from "../stacks/settings";
import { stackConfig } from "../stacks/stackFiles";
import { componentArgs } from "../stacks/stackProgram";
import { AGE_KEY } from "./support/fleet";
import { FAKE_KUBECONFIG, LOOKED_UP_ZONE_IDS, MINTED_TOKEN, resolved } from "./support/mocks";
import {
  collectUnhandledRejections,
  createdResourceTypes,
  runOwnProgram,
  startOwnProgram,
} from "./support/program";

/** The arguments a user must give: zones, the owner ID and the age recipients. */
const MINIMAL: ExternalDnsArgs = {
  zones: [{ name: "example.net" }],
  registry: { txtOwnerId: "hel1" },
  sops: { ageRecipients: [AGE_KEY] },
};

/** The outputs a program would export, resolved. */
async function outputsOf(component: ExternalDns) {
  await component.ready();
  return {
    namespace: await resolved(component.namespace),
    releaseName: await resolved(component.releaseName),
    tokenId: await resolved(component.tokenId),
    tokenExpiresOn: await resolved(component.tokenExpiresOn),
    zoneIds: await resolved(component.zoneIds),
    externalDnsArgs: await resolved(component.externalDnsArgs),
  };
}

const rejections = collectUnhandledRejections();
const warn = vi.spyOn(pulumi.log, "warn");
afterAll(() => warn.mockRestore());

describe("new ExternalDns with the fewest arguments", () => {
  let run: Awaited<ReturnType<typeof runOwnProgram<Awaited<ReturnType<typeof outputsOf>>>>>;
  beforeAll(async () => {
    run = await runOwnProgram(() => outputsOf(new ExternalDns("edge", MINIMAL)));
  });

  it("registers the token, leftover-token cleanup, namespace, SopsSecret, sops command, chart and restart step, all under the component", () => {
    const children = run.constructed.filter((resource) => resource.name !== "edge");
    expect(children.map((resource) => resource.type).sort()).toEqual(
      [
        "cloudflare:index/apiToken:ApiToken",
        "command:local:Command",
        "command:local:Command",
        "command:local:Command",
        "kubernetes:core/v1:Namespace",
        "kubernetes:helm.sh/v4:Chart",
        "kubernetes:isindir.github.com/v1alpha3:SopsSecret",
        "vanixiets:dns:CloudflareDnsToken",
        "vanixiets:dns:EncryptedSopsSecret",
        "vanixiets:dns:LeftoverTokenCleanup",
        "vanixiets:dns:PodRestartOnNewToken",
      ].sort(),
    );
    const component = run.constructed.find((resource) => resource.name === "edge");
    expect(component?.type).toBe("vanixiets:dns:ExternalDns");
    // Each child's parent chain reaches the component.
    const byResource = new Map(run.constructed.map((resource) => [resource.resource, resource]));
    for (const child of children) {
      let parent = child.opts.parent;
      while (parent && parent !== component?.resource) parent = byResource.get(parent)?.opts.parent;
      expect(parent, `${child.type} ${child.name}`).toBe(component?.resource);
    }
  });

  it("applies the declared defaults: chart 1.22.0, legacy annotations, namespace external-dns, sync, service and ingress, no expiry", () => {
    const [chart] = run.record.ofType("kubernetes:helm.sh/v4:Chart");
    expect(chart.inputs.version).toBe("1.22.0");
    expect(chart.inputs.repositoryOpts).toEqual({
      repo: "https://kubernetes-sigs.github.io/external-dns/",
    });
    expect(run.exports.namespace).toBe("external-dns");
    expect(run.exports.tokenExpiresOn).toBe("never");
    expect(run.exports.zoneIds).toEqual([LOOKED_UP_ZONE_IDS["example.net"]]);
    expect(run.exports.externalDnsArgs).toEqual(
      expect.arrayContaining([
        "--source=service",
        "--source=ingress",
        "--policy=sync",
        "--txt-owner-id=hel1",
        "--txt-prefix=externaldns-%{record_type}.",
        "--domain-filter=example.net",
        "--annotation-prefix=external-dns.alpha.kubernetes.io/",
        "--interval=1m",
        "--cloudflare-dns-records-per-page=5000",
      ]),
    );
  });

  it("uses the ambient kubeconfig: no provider of its own", () => {
    expect(run.record.ofType("pulumi:providers:kubernetes")).toEqual([]);
  });

  it("keeps the token out of every input but the sops command's stdin", () => {
    const carriers = run.record.resources
      .filter((resource) => JSON.stringify(resource.inputs).includes(MINTED_TOKEN))
      .map((resource) => resource.type);
    expect(carriers).toEqual(["command:local:Command"]);
  });
});

describe("a resource of the program that dependsOn the component", () => {
  it("is registered after the component's children, the chart included", async () => {
    const run = await runOwnProgram(async () => {
      const dns = new ExternalDns("edge", MINIMAL);
      new k8s.core.v1.ConfigMap("after-dns", { data: { ready: "yes" } }, { dependsOn: [dns] });
      return outputsOf(dns);
    });
    const order = run.record.resources.map((resource) => resource.type);
    expect(order.indexOf("kubernetes:core/v1:ConfigMap")).toBeGreaterThan(
      order.indexOf("kubernetes:helm.sh/v4:Chart"),
    );
  });
});

describe("the steps the component runs (moving and renaming ownership records)", () => {
  it("run in the package root, whatever the program's directory, named relative to it", () => {
    const program = process.cwd();
    expect(stepDirectory(), "this project runs them where it runs").toBeUndefined();
    const elsewhere = mkdtempSync(join(tmpdir(), "program-"));
    try {
      process.chdir(elsewhere);
      const directory = stepDirectory() ?? ".";
      expect(isAbsolute(directory)).toBe(false);
      for (const step of [MOVE_COMMAND, RENAME_COMMAND]) {
        const script = step.split(" ").at(-1) ?? "";
        expect(existsSync(resolve(directory, script)), script).toBe(true);
      }
    } finally {
      process.chdir(program);
      rmSync(elsewhere, { recursive: true });
    }
  });
});

describe("a stack's settings as the component's arguments", () => {
  const now = new Date("2026-12-05T00:00:00Z");
  const configs: Record<string, Record<string, string>> = {
    "Pulumi.production.yaml": unqualified(stackConfig("production")),
    "regex filters, a prefix move and an owner rename": {
      zones: JSON.stringify(["example.net"]),
      regexDomainFilter: "^(api|www)\\.example\\.net$",
      regexDomainExclusion: "^internal\\.",
      txtOwnerId: "hel1",
      migrateFromTxtPrefix: "externaldns-",
      sopsAgeRecipients: JSON.stringify([AGE_KEY]),
      tokenExpiresOn: "2027-06-01T00:00:00Z",
      policy: "upsert-only",
      dryRun: "true",
    },
  };

  for (const [name, config] of Object.entries(configs))
    it(`come back as the same settings (${name}): a stack and a direct user get the same behaviour`, () => {
      const loaded = loadSettings(config, now);
      if (loaded.kind !== "enabled") throw new Error(JSON.stringify(loaded));
      const again = componentSettings(componentArgs(loaded.settings), now);
      if (again.kind !== "enabled") throw new Error(JSON.stringify(again));
      expect(withoutStackOptions(again.settings)).toEqual(withoutStackOptions(loaded.settings));
    });
});

describe("the cluster checks inside the component", () => {
  it("refuse gateway sources without their CRDs before any child is created, naming the argument", async () => {
    const { record } = await startOwnProgram(
      async () => {
        await new ExternalDns("edge", {
          ...MINIMAL,
          sources: ["service", "gateway-httproute"],
        }).ready();
        return {};
      },
      { missingCrds: ["httproutes.gateway.networking.k8s.io"] },
    );
    const error = (await rejections.first()) as Error;
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(
      /^sources includes gateway-httproute, but the cluster lacks the Gateway API CRDs httproutes\.gateway\.networking\.k8s\.io;/,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(createdResourceTypes(record)).toEqual([]);
  });
});

describe("invalid arguments", () => {
  it("fail before anything is registered, naming every problem by its argument", async () => {
    const { record, outcome } = await startOwnProgram(async () => {
      new ExternalDns("edge", {
        zones: [],
        policy: "delete-all",
        registry: { txtOwnerId: "" },
        sops: { ageRecipients: ["not-an-age-key"] },
        chart: { recordsPerPage: 0 },
      });
      return {};
    });
    const error = await outcome.then(
      () => new Error("the program did not fail"),
      (caught: Error) => caught,
    );
    expect(error.message).toMatch(/^invalid arguments of ExternalDns edge \(5 problems\):/);
    for (const argument of [
      "zones",
      "policy",
      "registry.txtOwnerId",
      "sops.ageRecipients",
      "chart.recordsPerPage",
    ])
      expect(error.message).toMatch(
        new RegExp(`^  - ${argument.replace(".", "\\.")}(\\[0\\])?: `, "m"),
      );
    expect(record.resources).toEqual([]);
  });
});

describe("a kubeconfig argument", () => {
  it("deploys through a Kubernetes provider of the component's own", async () => {
    const run = await runOwnProgram(async () =>
      outputsOf(new ExternalDns("edge", { ...MINIMAL, cluster: { kubeconfig: FAKE_KUBECONFIG } })),
    );
    const providers = run.constructed.filter(
      (resource) => resource.type === "pulumi:providers:kubernetes",
    );
    expect(providers.map((provider) => provider.name)).toEqual(["edge-cluster"]);
    const [namespace] = run.constructed.filter(
      (resource) => resource.type === "kubernetes:core/v1:Namespace",
    );
    expect(namespace.opts.provider).toBe(providers[0].resource);
  });

  it("warns when given a kubernetes provider without the kubeconfig its checks must read", async () => {
    warn.mockClear();
    await runOwnProgram(async () => {
      const provider = new k8s.Provider("mine", { kubeconfig: FAKE_KUBECONFIG });
      return outputsOf(new ExternalDns("edge", MINIMAL, { providers: { kubernetes: provider } }));
    });
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      "ExternalDns edge deploys with the kubernetes provider it was given, but reads the ambient kubeconfig for its cluster checks: pass that cluster's kubeconfig as cluster.kubeconfig too.",
    ]);
  });

  it("defers to a kubernetes provider passed in the resource options", async () => {
    const run = await runOwnProgram(async () => {
      const provider = new k8s.Provider("mine", { kubeconfig: FAKE_KUBECONFIG });
      return outputsOf(
        new ExternalDns(
          "edge",
          { ...MINIMAL, cluster: { kubeconfig: FAKE_KUBECONFIG } },
          { providers: { kubernetes: provider } },
        ),
      );
    });
    const providers = run.record.ofType("pulumi:providers:kubernetes");
    expect(providers.map((provider) => provider.name)).toEqual(["mine"]);
  });
});

/** A stack file's config under the keys loadSettings reads (without `external-dns:`). */
function unqualified(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith("external-dns:"))
      .map(([key, value]) => [key.slice("external-dns:".length), value]),
  );
}

/** Settings without the options that belong to a stack, not to the component. */
function withoutStackOptions(settings: Settings): Record<string, unknown> {
  const options: Record<string, unknown> = { ...settings };
  for (const option of STACK_ONLY_OPTIONS) delete options[option];
  return options;
}
