/**
 * Taking over from a running external-dns: the same TXT registry settings carry
 * ownership of its records across; different ones are refused, naming the
 * records that would be orphaned. Names follow external-dns 0.21's mapper (and
 * the typed names 0.14.2 writes beside its untyped ones).
 */

import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { RENAME_COMMAND } from "../components/txtOwnerRename";
import { MOVE_COMMAND } from "../components/txtOwnershipMove";
import {
  migrationRefusal,
  type RunningExternalDns,
  registryDifferences,
  txtRegistryOf,
} from "../components/txtRegistry";
import { CONFIG_NAMING } from "../stacks/settings";
import { stackConfig } from "../stacks/stackFiles";
import { plaintextOccurrences } from "./support/leaks";
import { FAKE_KUBECONFIG, LOOKED_UP_ZONE_IDS, MINTED_TOKEN, resolved } from "./support/mocks";
import {
  collectUnhandledRejections,
  createdResourceTypes,
  failProgram,
  runProgram,
} from "./support/program";

/** The manual installation of the issue: chart 1.14.5 with these args (as the chart renders them). */
const MANUAL: RunningExternalDns = {
  deployment: "external-dns/external-dns",
  args: [
    "--log-level=info",
    "--log-format=text",
    "--interval=1m",
    "--source=service",
    "--source=ingress",
    "--policy=sync",
    "--registry=txt",
    "--txt-owner-id=vanixiets-cluster",
    "--txt-prefix=externaldns-",
    "--provider=cloudflare",
    "--cloudflare-proxied=false",
    "--cloudflare-dns-records-per-page=5000",
  ],
  managedByPulumi: false,
};

const STACK_DEFAULTS = {
  registry: "txt",
  txtPrefix: "externaldns-%{record_type}.",
  txtSuffix: "",
  txtOwnerId: "vanixiets-cluster",
};

const DECLARED = [
  { hostname: "web.example.com", source: "service/shop/web" },
  { hostname: "shop.example.org", source: "ingress/shop/shop" },
];

describe("TXT registry settings from args", () => {
  it("reads --flag=value and --flag value, and external-dns's defaults for the rest", () => {
    expect(txtRegistryOf(MANUAL.args)).toEqual({
      registry: "txt",
      txtPrefix: "externaldns-",
      txtSuffix: "",
      txtOwnerId: "vanixiets-cluster",
    });
    expect(txtRegistryOf(["--txt-owner-id", "a", "--provider=cloudflare"])).toEqual({
      registry: "txt",
      txtPrefix: "",
      txtSuffix: "",
      txtOwnerId: "a",
    });
  });

  it("names each flag that differs, with both values", () => {
    expect(registryDifferences(txtRegistryOf(MANUAL.args), STACK_DEFAULTS)).toEqual([
      '--txt-prefix: "externaldns-" running, "externaldns-%{record_type}." in this stack',
    ]);
  });
});

describe("the migration refusal", () => {
  it("lets the same prefix and owner take over", () => {
    expect(
      migrationRefusal(
        MANUAL,
        { ...STACK_DEFAULTS, txtPrefix: "externaldns-" },
        DECLARED,
        CONFIG_NAMING.key,
      ),
    ).toBeUndefined();
  });

  it("lets another prefix take over when the stack moves the records from the running one", () => {
    expect(
      migrationRefusal(
        MANUAL,
        { ...STACK_DEFAULTS, migrateFromTxtPrefix: "externaldns-" },
        DECLARED,
        CONFIG_NAMING.key,
      ),
    ).toBeUndefined();
  });

  it("refuses a move from a prefix the running external-dns does not use, or with another owner", () => {
    const wrongPrefix = migrationRefusal(
      MANUAL,
      { ...STACK_DEFAULTS, migrateFromTxtPrefix: "edns-" },
      DECLARED,
      CONFIG_NAMING.key,
    );
    expect(wrongPrefix?.split("\n").at(-2)).toBe(
      'external-dns:migrateFromTxtPrefix is "edns-", but the running external-dns names its ownership records with "externaldns-".',
    );
    const otherOwner = migrationRefusal(
      MANUAL,
      { ...STACK_DEFAULTS, txtOwnerId: "new", migrateFromTxtPrefix: "externaldns-" },
      DECLARED,
      CONFIG_NAMING.key,
    );
    expect(otherOwner).toContain(
      '--txt-owner-id: "vanixiets-cluster" running, "new" in this stack',
    );
  });

  it("refuses another prefix, naming each record's ownership record under both settings", () => {
    expect(migrationRefusal(MANUAL, STACK_DEFAULTS, DECLARED, CONFIG_NAMING.key)).toBe(
      [
        "Deployment external-dns/external-dns already runs external-dns with other TXT registry settings than this stack:",
        '  --txt-prefix: "externaldns-" running, "externaldns-%{record_type}." in this stack',
        "external-dns finds the records it owns by the name and owner of their TXT records, so the records it made would be",
        "orphaned: never updated or deleted again, and their names blocked for new records. Of the names the cluster declares:",
        "  shop.example.org: owned through externaldns-a-shop.example.org; this stack would look for externaldns-a.shop.example.org",
        "  web.example.com: owned through externaldns-a-web.example.com; this stack would look for externaldns-a.web.example.com",
        'Nothing was changed. To take over its records, set external-dns:txtPrefix to "externaldns-" and external-dns:txtOwnerId to "vanixiets-cluster"; ' +
          'or, to move them to this stack\'s prefix in the same up, keep external-dns:txtPrefix, set external-dns:txtOwnerId to "vanixiets-cluster" and external-dns:migrateFromTxtPrefix to "externaldns-" ' +
          '(docs/migration.md: "Migrating a running installation", "Moving to another TXT prefix").',
      ].join("\n"),
    );
  });

  it("refuses another owner ID, and a registry this program cannot write", () => {
    const other = migrationRefusal(
      MANUAL,
      { ...STACK_DEFAULTS, txtPrefix: "externaldns-", txtOwnerId: "new" },
      [],
      CONFIG_NAMING.key,
    );
    expect(other).toContain('--txt-owner-id: "vanixiets-cluster" running, "new" in this stack');
    expect(other).toContain(
      "(none declared now; records it made earlier are affected all the same)",
    );
    const noop = migrationRefusal(
      { ...MANUAL, args: ["--registry=noop"] },
      STACK_DEFAULTS,
      DECLARED,
      CONFIG_NAMING.key,
    );
    expect(noop).toContain("owned through no TXT record (--registry=noop)");
    expect(noop).toContain("move that installation to that form by hand first");
  });

  const SAME_PREFIX = { ...STACK_DEFAULTS, txtPrefix: "externaldns-", txtOwnerId: "hel1" };

  it("lets another owner take over when the stack renames the records from the running one", () => {
    expect(
      migrationRefusal(
        MANUAL,
        { ...SAME_PREFIX, migrateFromTxtOwnerId: "vanixiets-cluster" },
        DECLARED,
        CONFIG_NAMING.key,
      ),
    ).toBeUndefined();
  });

  it("refuses another owner without the rename, offering it; and a rename from an owner that is not running", () => {
    expect(
      migrationRefusal(MANUAL, SAME_PREFIX, DECLARED, CONFIG_NAMING.key)?.split("\n").at(-1),
    ).toBe(
      'Nothing was changed. To take over its records, set external-dns:txtPrefix to "externaldns-" and external-dns:txtOwnerId to "vanixiets-cluster"; ' +
        'or, to rename them to this stack\'s owner in the same up, keep external-dns:txtOwnerId and set external-dns:migrateFromTxtOwnerId to "vanixiets-cluster" (docs/fleet.md: "Renaming an owner").',
    );
    const wrongOwner = migrationRefusal(
      MANUAL,
      { ...SAME_PREFIX, migrateFromTxtOwnerId: "other-cluster" },
      DECLARED,
      CONFIG_NAMING.key,
    );
    expect(wrongOwner?.split("\n").at(-2)).toBe(
      'external-dns:migrateFromTxtOwnerId is "other-cluster", but the running external-dns writes owner "vanixiets-cluster".',
    );
  });

  it("names ten hostnames and counts the rest", () => {
    const many = Array.from({ length: 12 }, (_, index) => ({
      hostname: `h${String(index).padStart(2, "0")}.example.com`,
      source: "service/x/y",
    }));
    const refusal = migrationRefusal(MANUAL, STACK_DEFAULTS, many, CONFIG_NAMING.key) ?? "";
    expect(refusal.split("\n").filter((line) => line.includes("owned through"))).toHaveLength(10);
    expect(refusal).toContain("  … and 2 more");
  });
});

// A failing program also rejects the outputs that depend on the failure; they are expected here.
collectUnhandledRejections();

describe("the program with an external-dns already running in its namespace", () => {
  it("registers everything when the running one has the stack's TXT settings (its own earlier deployment)", async () => {
    const run = await runProgram("production", stackConfig("production"), {
      runningExternalDns: {
        deployment: "external-dns/external-dns",
        args: ["--txt-owner-id=hetzner-production", "--txt-prefix=externaldns-%{record_type}."],
        managedByPulumi: true,
      },
      declaredHostnames: DECLARED,
    });
    expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
  });

  const manualWithStackSettings: RunningExternalDns = {
    ...MANUAL,
    args: ["--txt-owner-id=hetzner-production", "--txt-prefix=externaldns-%{record_type}."],
  };

  it("refuses an installation it did not make, with the same settings, unless the provider's force switch is on", async () => {
    const { record, error } = await failProgram("production", stackConfig("production"), {
      runningExternalDns: manualWithStackSettings,
    });
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      "Deployment external-dns/external-dns runs an external-dns that this program did not deploy",
    );
    expect((error as Error).message).toContain(
      "run this pulumi up once with PULUMI_K8S_ENABLE_PATCH_FORCE=true, then revoke the token it used",
    );
    expect(createdResourceTypes(record)).toEqual([]);
  });

  it("adopts it with PULUMI_K8S_ENABLE_PATCH_FORCE=true, saying what it takes over", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    process.env.PULUMI_K8S_ENABLE_PATCH_FORCE = "true";
    try {
      const run = await runProgram("production", stackConfig("production"), {
        runningExternalDns: manualWithStackSettings,
      });
      expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
      expect(warn.mock.calls.map(([message]) => message)).toContainEqual(
        expect.stringMatching(
          /^Adopting the external-dns installation of Deployment external-dns\/external-dns \(PULUMI_K8S_ENABLE_PATCH_FORCE=true\)/,
        ),
      );
    } finally {
      delete process.env.PULUMI_K8S_ENABLE_PATCH_FORCE;
      warn.mockRestore();
    }
  });

  const helmInstalled: RunningExternalDns = {
    ...manualWithStackSettings,
    helmRelease: {
      name: "external-dns",
      namespace: "external-dns",
      secrets: ["sh.helm.release.v1.external-dns.v1", "sh.helm.release.v1.external-dns.v2"],
    },
  };
  const HELM_STEPS = [
    "Helm still tracks it as release external-dns (Secrets sh.helm.release.v1.external-dns.v1, sh.helm.release.v1.external-dns.v2 in namespace external-dns): " +
      "after the takeover, helm uninstall or helm upgrade would delete or change objects this stack owns.",
    "First back the release up and delete it (its objects stay):",
    "  kubectl -n external-dns get secret -l owner=helm,name=external-dns -o yaml > helm-release-external-dns.yaml",
    "  kubectl -n external-dns delete secret -l owner=helm,name=external-dns",
  ];

  it("names the Helm release of a helm-installed installation among the steps of the adopting run", async () => {
    const { error } = await failProgram("production", stackConfig("production"), {
      runningExternalDns: helmInstalled,
    });
    const lines = (error as Error).message.split("\n");
    expect(lines.slice(3, 3 + HELM_STEPS.length)).toEqual(HELM_STEPS);
    expect(lines.at(-1)).toMatch(
      /^To adopt it, run this pulumi up once with PULUMI_K8S_ENABLE_PATCH_FORCE=true/,
    );
  });

  it("does not adopt a helm-installed installation while Helm still tracks the release, even with the switch", async () => {
    process.env.PULUMI_K8S_ENABLE_PATCH_FORCE = "true";
    try {
      const { record, error } = await failProgram("production", stackConfig("production"), {
        runningExternalDns: helmInstalled,
      });
      expect(pulumi.RunError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe(
        [
          "Deployment external-dns/external-dns is still part of a Helm release. Nothing was changed.",
          ...HELM_STEPS,
          "Then run this pulumi up again with PULUMI_K8S_ENABLE_PATCH_FORCE=true.",
        ].join("\n"),
      );
      expect(createdResourceTypes(record)).toEqual([]);
    } finally {
      delete process.env.PULUMI_K8S_ENABLE_PATCH_FORCE;
    }
  });

  it("fails before any resource is created when they differ, naming managed hostnames only", async () => {
    const { record, error } = await failProgram("production", stackConfig("production"), {
      runningExternalDns: MANUAL,
      declaredHostnames: [
        ...DECLARED,
        { hostname: "a.internal.example.com", source: "service/x/a" },
      ],
    });
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(
      '--txt-owner-id: "vanixiets-cluster" running, "hetzner-production" in this stack',
    );
    expect(message).toContain("web.example.com: owned through externaldns-a-web.example.com");
    expect(message).not.toContain("a.internal.example.com");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(createdResourceTypes(record)).toEqual([]);
  });

  const MOVING_CONFIG = {
    ...stackConfig("production"),
    "external-dns:txtOwnerId": "vanixiets-cluster",
    "external-dns:migrateFromTxtPrefix": "externaldns-",
  };

  it("moves the ownership records of the adopted installation to the stack's prefix, after the chart", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    process.env.PULUMI_K8S_ENABLE_PATCH_FORCE = "true";
    try {
      const run = await runProgram("production", MOVING_CONFIG, {
        runningExternalDns: MANUAL,
        declaredHostnames: DECLARED,
      });
      expect(warn.mock.calls.map(([message]) => message)).toContainEqual(
        expect.stringMatching(
          /^Moving the ownership records of owner vanixiets-cluster from prefix "externaldns-" to "externaldns-%\{record_type\}\." \(external-dns:migrateFromTxtPrefix\): Deployment external-dns\/external-dns rolls to the new prefix first/,
        ),
      );
      const move = run.record
        .ofType("command:local:Command")
        .find((resource) => resource.inputs.create === MOVE_COMMAND);
      expect(move?.name).toBe("external-dns-txt-ownership-move-copy");
      expect(JSON.parse(String(move?.inputs.stdin))).toEqual({
        ownerId: "vanixiets-cluster",
        fromPrefix: "externaldns-",
        toPrefix: "externaldns-%{record_type}.",
        token: MINTED_TOKEN,
        zones: [
          { id: "023e105f4ecef8ad9ca31a8372d0c353", name: "example.com" },
          { id: LOOKED_UP_ZONE_IDS["example.org"], name: "example.org" },
        ],
      });
      expect(await plaintextOccurrences(move?.wireInputs, MINTED_TOKEN)).toEqual([]);
      const component = run.constructed.find(
        (resource) => resource.type === "vanixiets:dns:TxtOwnershipMove",
      );
      const dependsOn = component?.opts.dependsOn as pulumi.Resource[];
      const urns = await Promise.all(dependsOn.map((dependency) => resolved(dependency.urn)));
      expect(urns.map((urn) => urn.split("::").at(-1))).toEqual(["external-dns-chart"]);
    } finally {
      delete process.env.PULUMI_K8S_ENABLE_PATCH_FORCE;
      warn.mockRestore();
    }
  });

  it("renames this cluster's ownership records to the stack's owner, after the chart, reading the cluster it deploys to", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    try {
      const run = await runProgram(
        "production",
        { ...stackConfig("production"), "external-dns:migrateFromTxtOwnerId": "vanixiets-cluster" },
        {
          runningExternalDns: {
            deployment: "external-dns/external-dns",
            args: ["--txt-owner-id=vanixiets-cluster", "--txt-prefix=externaldns-%{record_type}."],
            managedByPulumi: true,
          },
        },
      );
      expect(warn.mock.calls.map(([message]) => message)).toContainEqual(
        expect.stringMatching(
          /^Renaming this cluster's ownership records from owner vanixiets-cluster to hetzner-production \(external-dns:migrateFromTxtOwnerId\): Deployment external-dns\/external-dns rolls to the new owner first/,
        ),
      );
      const rename = run.record
        .ofType("command:local:Command")
        .find((resource) => resource.inputs.create === RENAME_COMMAND);
      expect(rename?.name).toBe("external-dns-txt-owner-rename-rewrite");
      expect(JSON.parse(String(rename?.inputs.stdin))).toEqual({
        fromOwnerId: "vanixiets-cluster",
        toOwnerId: "hetzner-production",
        txtPrefix: "externaldns-%{record_type}.",
        token: MINTED_TOKEN,
        zones: [
          { id: "023e105f4ecef8ad9ca31a8372d0c353", name: "example.com" },
          { id: LOOKED_UP_ZONE_IDS["example.org"], name: "example.org" },
        ],
        // clusterStack: the kubeconfig output of the cluster stack
        cluster: { kubeconfig: FAKE_KUBECONFIG },
        sources: ["service", "ingress", "gateway-httproute"],
        annotationPrefixes: ["external-dns.alpha.kubernetes.io/"],
        filter: {
          domainFilters: ["example.com", "example.org"],
          excludeDomains: ["internal.example.com"],
        },
      });
      expect(await plaintextOccurrences(rename?.wireInputs, MINTED_TOKEN)).toEqual([]);
      const component = run.constructed.find(
        (resource) => resource.type === "vanixiets:dns:TxtOwnerRename",
      );
      const dependsOn = component?.opts.dependsOn as pulumi.Resource[];
      const urns = await Promise.all(dependsOn.map((dependency) => resolved(dependency.urn)));
      expect(urns.map((urn) => urn.split("::").at(-1))).toEqual(["external-dns-chart"]);
    } finally {
      warn.mockRestore();
    }
  });

  it("has no move or rename step without migrateFromTxtPrefix or migrateFromTxtOwnerId", async () => {
    const run = await runProgram("production", stackConfig("production"));
    expect(
      run.constructed.filter((resource) => resource.type === "vanixiets:dns:TxtOwnershipMove"),
    ).toEqual([]);
    expect(
      run.record
        .ofType("command:local:Command")
        .map((resource) => resource.inputs.create)
        .filter((create) => create === MOVE_COMMAND || create === RENAME_COMMAND),
    ).toEqual([]);
  });
});
