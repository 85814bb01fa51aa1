/**
 * `npm run plan -- <stack> --cluster`: the checks `pulumi preview` makes before
 * any change, against a cluster (here a fake reader) where an external-dns
 * with other TXT settings already runs: the plan is refused the same way,
 * naming the records that would be orphaned, with exit code 1, and the reader
 * is given the program's kubeconfig source.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { KubeconfigSource } from "../components/clusterAccess";
import { planKubeconfigSource, runPlanCli } from "../plan/cli";
import type { LiveClusterChecks } from "../plan/offline";
import { renderPlan } from "../plan/render";
import type { Plan } from "../plan/report";
import { stackConfig } from "../stacks/stackFiles";
import { runInProcess } from "./support/cli";
import { collectUnhandledRejections } from "./support/program";

collectUnhandledRejections();

const sources: KubeconfigSource[] = [];
const cluster: LiveClusterChecks = {
  probe: async () => ({ reachable: true }),
  servedCrdVersions: async (names) => ({
    reachable: true,
    served: Object.fromEntries(names.map((name) => [name, ["v1", "v1alpha2"]])),
  }),
  runningExternalDns: async () => ({
    reachable: true,
    running: {
      deployment: "external-dns/external-dns",
      args: ["--txt-owner-id=hetzner-production", "--txt-prefix=externaldns-"],
      managedByPulumi: false,
    },
    declared: async () => [{ hostname: "web.example.com", source: "service/shop/web" }],
  }),
  annotatedObjects: async () => ({
    reachable: true,
    objects: [{ source: "service/shop/web", keys: ["external-dns.alpha.kubernetes.io/hostname"] }],
  }),
};

let code = 0;
let json: Plan;

beforeAll(async () => {
  const run = await runInProcess(runPlanCli, ["production", "--cluster", "--json"], {
    loadStack: () => stackConfig("production"),
    liveCluster: (source) => {
      sources.push(source);
      return cluster;
    },
  });
  code = run.code;
  json = JSON.parse(run.stdout);
});

describe("npm run plan --cluster", () => {
  it("reads the cluster the program would read; for a clusterStack output, which it cannot read, KUBECONFIG", () => {
    // production takes its kubeconfig from clusterStack: offline, a placeholder.
    expect(sources.map((source) => source.kubeconfig)).toContain(
      "<kubeconfig output of stack vanixiets/hetzner-cluster/production>",
    );
    expect(planKubeconfigSource(sources[0])).toEqual({ context: undefined });
    const own = { kubeconfig: "/etc/kube/config", context: "admin" };
    expect(planKubeconfigSource(own)).toEqual(own);
  });

  it("refuses like pulumi preview, naming the records the stack would orphan, with exit code 1", () => {
    expect(code).toBe(1);
    expect(json.clusterRead).toBe(true);
    expect(json.valid).toBe(false);
    expect(json.refusal).toContain(
      "Deployment external-dns/external-dns already runs external-dns with other TXT registry settings than this stack:",
    );
    expect(json.refusal).toContain(
      "web.example.com: owned through externaldns-a-web.example.com; this stack would look for externaldns-a.web.example.com",
    );
  });

  it("says so in the human form, and that the cluster was read but not changed", () => {
    const human = renderPlan(json);
    expect(human).toContain("the cluster was read, nothing changed");
    expect(human).toContain(
      "Refused by the cluster checks (pulumi preview and pulumi up refuse the same way, before any change):",
    );
    expect(human).toContain(
      "  ✗   web.example.com: owned through externaldns-a-web.example.com; this stack would look for externaldns-a.web.example.com",
    );
  });
});
