/**
 * `npm run plan` for a stack that moves its ownership records to another TXT
 * prefix (`migrateFromTxtPrefix`): it lists the move step and says what it does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runPlanCli } from "../plan/cli";
import { renderPlan } from "../plan/render";
import type { Plan } from "../plan/report";
import { stackConfig } from "../stacks/stackFiles";
import { runInProcess } from "./support/cli";
import { collectUnhandledRejections } from "./support/program";

collectUnhandledRejections();

const movingStack = {
  ...stackConfig("production"),
  "external-dns:migrateFromTxtPrefix": "externaldns-",
};

let json: Plan;
let human: string;

beforeAll(async () => {
  const { code, stdout } = await runInProcess(
    runPlanCli,
    ["production", "--json", "--hostname", "shop.example.com"],
    { loadStack: () => movingStack },
  );
  expect(code).toBe(0);
  json = JSON.parse(stdout);
  human = renderPlan(json);
});

describe("plan with migrateFromTxtPrefix", () => {
  it("lists the move step after the chart, in the component", () => {
    const component = json.resources.find(
      (resource) => resource.type === "vanixiets:dns:ExternalDns",
    );
    expect(
      component?.children
        .map((child) => `${child.type} ${child.name}`)
        .filter((child) => /Chart|TxtOwner/.test(child)),
    ).toEqual([
      "kubernetes:helm.sh/v4:Chart external-dns-chart",
      "vanixiets:dns:TxtOwnershipMove external-dns-txt-ownership-move",
    ]);
  });

  it("says what moves where, with the old and new name of each record asked for", () => {
    expect(json.txtOwnershipMove).toEqual({
      ownerId: "hetzner-production",
      fromPrefix: "externaldns-",
      toPrefix: "externaldns-%{record_type}.",
      zones: ["example.com", "example.org"],
      samples: ["a", "aaaa", "cname"].map((type) => ({
        host: "shop.example.com",
        recordType: type.toUpperCase(),
        from: `externaldns-${type}-shop.example.com`,
        to: `externaldns-${type}.shop.example.com`,
      })),
    });
    expect(human).toContain(
      [
        "Ownership records moved after the chart's rollout (external-dns:migrateFromTxtPrefix), owner hetzner-production, zones example.com, example.org:",
        '  from prefix "externaldns-" to "externaldns-%{record_type}.": each ownership TXT record of this owner under an old name is written under its new name',
      ].join("\n"),
    );
    expect(human).toContain(
      "  for the records above:\n    shop.example.com A: externaldns-a-shop.example.com → externaldns-a.shop.example.com\n",
    );
  });

  it("warns that the move runs from this machine, where the IP-restricted token must work", () => {
    expect(json.warnings).toContainEqual(
      expect.stringMatching(
        /^external-dns:migrateFromTxtPrefix: the ownership move runs where pulumi up runs, with the minted token, which Cloudflare accepts only from external-dns:tokenAllowedCidrs \(203\.0\.113\.10\/32, 2001:db8:10::\/48\)/,
      ),
    );
  });

  it("has no move section without the option", async () => {
    const { stdout } = await runInProcess(runPlanCli, ["production", "--json"], {
      loadStack: () => stackConfig("production"),
    });
    expect((JSON.parse(stdout) as Plan).txtOwnershipMove).toBeUndefined();
  });
});

describe("plan with migrateFromTxtOwnerId", () => {
  let plan: Plan;

  beforeAll(async () => {
    const { code, stdout } = await runInProcess(runPlanCli, ["production", "--json"], {
      loadStack: () => ({
        ...stackConfig("production"),
        "external-dns:txtOwnerId": "hel1",
        "external-dns:migrateFromTxtOwnerId": "vanixiets-cluster",
        "external-dns:sources": JSON.stringify(["service", "ingress", "istio-gateway"]),
      }),
    });
    expect(code).toBe(0);
    plan = JSON.parse(stdout);
  });

  it("lists the rename step after the chart and says what it renames, and what it cannot read", () => {
    const component = plan.resources.find(
      (resource) => resource.type === "vanixiets:dns:ExternalDns",
    );
    expect(
      component?.children
        .map((child) => `${child.type} ${child.name}`)
        .filter((child) => /Chart|TxtOwner/.test(child)),
    ).toEqual([
      "kubernetes:helm.sh/v4:Chart external-dns-chart",
      "vanixiets:dns:TxtOwnerRename external-dns-txt-owner-rename",
    ]);
    expect(plan.txtOwnerRename).toEqual({
      fromOwnerId: "vanixiets-cluster",
      toOwnerId: "hel1",
      zones: ["example.com", "example.org"],
      sourcesRead: ["service", "ingress"],
      sourcesNotRead: ["istio-gateway"],
    });
    const human = renderPlan(plan);
    expect(human).toContain(
      [
        "Ownership records renamed after the chart's rollout (external-dns:migrateFromTxtOwnerId), zones example.com, example.org:",
        "  owner vanixiets-cluster → hel1, for the hostnames this cluster declares that the filters admit, read from its service, ingress when the step runs;",
      ].join("\n"),
    );
    expect(human).toContain(
      "  not read: istio-gateway: the records of those sources keep the old owner (rename them by hand)",
    );
    expect(human).toContain("--txt-owner-id=hel1 (or vanixiets-cluster, which this up moves from)");
  });
});
