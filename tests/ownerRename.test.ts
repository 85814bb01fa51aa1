/**
 * Renaming an owner ID (`migrateFromTxtOwnerId`): the planner
 * (components/ownerRenamePlan.ts), and the command `pulumi up` runs
 * (commands/renameTxtOwner.ts) as a real process, against the Cloudflare
 * stand-in and a stand-in Kubernetes API that declares this cluster's
 * hostnames. Two clusters share the old owner; each renames only its own.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UNTIL_RENAMED } from "../commands/renameTxtOwner";
import type { DnsRecord } from "../components/cloudflareRecords";
import { planOwnerRename, withOwner } from "../components/ownerRenamePlan";
import { RENAME_COMMAND, type RenameCommandInput } from "../components/txtOwnerRename";
import { ownershipOwner } from "../components/txtRecords";
import {
  type CloudflareApi,
  DEFAULT_ZONES,
  startCloudflareApi,
} from "../e2e/support/cloudflareApi";
import { runStep } from "./support/cli";
import { type FakeKubernetesApi, startFakeKubernetesApi } from "./support/kubernetesApi";

const [COM, ORG] = DEFAULT_ZONES;
const OLD = "vanixiets-cluster";
const PREFIX = "externaldns-%{record_type}.";
const ownership = (resource: string, owner = OLD) =>
  `"heritage=external-dns,external-dns/owner=${owner},external-dns/resource=${resource}"`;

describe("withOwner", () => {
  it("sets the owner label and keeps the quotes and the other labels in their order", () => {
    expect(withOwner(ownership("service/ns/web"), "hel1")).toBe(
      ownership("service/ns/web", "hel1"),
    );
    expect(withOwner("heritage=external-dns,external-dns/owner=a", "b")).toBe(
      "heritage=external-dns,external-dns/owner=b",
    );
  });
});

describe("planOwnerRename", () => {
  let id = 0;
  const record = (type: string, name: string, content: string): DnsRecord => {
    id += 1;
    return { id: `r${id}`, type, name, content, ttl: 1 };
  };
  const records = [
    record("A", "web.hel1.example.com", "203.0.113.10"),
    record("AAAA", "web.hel1.example.com", "2001:db8::10"),
    record("TXT", "externaldns-a.web.hel1.example.com", ownership("service/hel1/web")),
    record("TXT", "externaldns-aaaa.web.hel1.example.com", ownership("service/hel1/web")),
    record("A", "web.fsn1.example.com", "203.0.113.20"),
    record("TXT", "externaldns-a.web.fsn1.example.com", ownership("service/fsn1/web")),
    record("A", "api.hel1.example.com", "203.0.113.11"),
    record("TXT", "externaldns-a.api.hel1.example.com", ownership("service/hel1/api", "someone")),
    record("TXT", "externaldns-old-web.hel1.example.com", ownership("service/hel1/web")),
    record("TXT", "example.com", '"v=spf1 -all"'),
  ];
  const settings = { fromOwnerId: OLD, toOwnerId: "hel1", txtPrefix: PREFIX };
  const hel1 = new Set(["web.hel1.example.com", "api.hel1.example.com"]);
  const plan = planOwnerRename(
    [{ zoneId: COM.id, zoneName: COM.name, records }],
    settings,
    (host) => hel1.has(host),
  );

  it("rewrites the owner of the ownership records of the hostnames this cluster claims, every record type", () => {
    expect(plan.zones).toEqual([
      {
        zoneId: COM.id,
        zoneName: COM.name,
        rewrites: [
          {
            id: "r3",
            name: "externaldns-a.web.hel1.example.com",
            host: "web.hel1.example.com",
            content: ownership("service/hel1/web", "hel1"),
          },
          {
            id: "r4",
            name: "externaldns-aaaa.web.hel1.example.com",
            host: "web.hel1.example.com",
            content: ownership("service/hel1/web", "hel1"),
          },
        ],
      },
    ]);
  });

  it("keeps another cluster's records of the old owner, and leaves other owners and other TXT records alone", () => {
    expect(plan.kept).toEqual([
      {
        zoneName: COM.name,
        name: "externaldns-a.web.fsn1.example.com",
        host: "web.fsn1.example.com",
      },
    ]);
  });

  it("finds nothing left once the rewrites are applied", () => {
    const rewritten = records.map((r) => {
      const rewrite = plan.zones[0].rewrites.find((candidate) => candidate.id === r.id);
      return rewrite ? { ...r, content: rewrite.content } : r;
    });
    const again = planOwnerRename(
      [{ zoneId: COM.id, zoneName: COM.name, records: rewritten }],
      settings,
      (host) => hel1.has(host),
    );
    expect(again.zones).toEqual([]);
    expect(rewritten.filter((r) => ownershipOwner(r.content) === "hel1")).toHaveLength(2);
  });
});

describe("the rename command", () => {
  let api: CloudflareApi;
  let cluster: FakeKubernetesApi;
  let token: string;

  /** The hel1 cluster: a Service annotated with two hostnames, one outside the filter, and an Ingress. */
  const HEL1_OBJECTS = {
    "/api/v1/services": {
      items: [
        {
          metadata: {
            name: "web",
            namespace: "shop",
            annotations: {
              "external-dns.alpha.kubernetes.io/hostname": "web.hel1.example.com,web.example.org",
            },
          },
        },
      ],
    },
    "/apis/networking.k8s.io/v1/ingresses": {
      items: [
        {
          metadata: { name: "shop", namespace: "shop" },
          spec: { rules: [{ host: "shop.hel1.example.com" }] },
        },
      ],
    },
  };

  beforeEach(async () => {
    api = await startCloudflareApi();
    token = api.state.mintDnsToken("external-dns", [COM.id, ORG.id]).value;
    cluster = await startFakeKubernetesApi(HEL1_OBJECTS);
    api.state.seedRecords(COM.id, [
      { type: "A", name: "web.hel1", content: "203.0.113.10" },
      { type: "TXT", name: "externaldns-a.web.hel1", content: ownership("service/shop/web") },
      { type: "CNAME", name: "shop.hel1", content: "lb.example.net" },
      { type: "TXT", name: "externaldns-cname.shop.hel1", content: ownership("ingress/shop/shop") },
      { type: "A", name: "web.fsn1", content: "203.0.113.20" },
      { type: "TXT", name: "externaldns-a.web.fsn1", content: ownership("service/shop/web") },
    ]);
    api.state.seedRecords(ORG.id, [
      { type: "A", name: "web", content: "203.0.113.10" },
      { type: "TXT", name: "externaldns-a.web", content: ownership("service/shop/web") },
    ]);
  });

  afterEach(async () => {
    await api.close();
    await cluster.close();
  });

  function input(overrides: Partial<RenameCommandInput> = {}): RenameCommandInput {
    return {
      fromOwnerId: OLD,
      toOwnerId: "hel1",
      txtPrefix: PREFIX,
      token,
      baseUrl: api.url,
      zones: [
        { id: COM.id, name: COM.name },
        { id: ORG.id, name: ORG.name },
      ],
      cluster: { kubeconfig: cluster.kubeconfig },
      sources: ["service", "ingress"],
      annotationPrefixes: ["external-dns.alpha.kubernetes.io/"],
      filter: { domainFilters: ["hel1.example.com"], excludeDomains: [] },
      ...overrides,
    };
  }

  const owners = (zoneId: string) =>
    api.state
      .records(zoneId)
      .filter((record) => record.type === "TXT")
      .map((record) => `${record.name} ${ownershipOwner(record.content)}`)
      .sort();

  it("renames the records this cluster declares and its filters admit, in one batch, never the token", async () => {
    const result = await runStep(RENAME_COMMAND, input());
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      "example.com: externaldns-a.web.hel1.example.com (web.hel1.example.com): owner vanixiets-cluster → hel1",
      "example.com: externaldns-cname.shop.hel1.example.com (shop.hel1.example.com): owner vanixiets-cluster → hel1",
      "Renamed the ownership records from owner vanixiets-cluster to hel1: 2 record(s) of the 2 hostname(s) this cluster declares and its filters admit.",
      "Kept 2 ownership record(s) of owner vanixiets-cluster whose hostnames this cluster does not declare (another cluster's, or left by a deleted source; npm run fleet -- --live shows them):",
      "  example.com: externaldns-a.web.fsn1.example.com (web.fsn1.example.com)",
      "  example.org: externaldns-a.web.example.org (web.example.org)",
    ]);
    expect(`${result.stdout}${result.stderr}`).not.toContain(token);
    expect(owners(COM.id)).toEqual([
      "externaldns-a.web.fsn1.example.com vanixiets-cluster",
      "externaldns-a.web.hel1.example.com hel1",
      "externaldns-cname.shop.hel1.example.com hel1",
    ]);
    expect(owners(ORG.id)).toEqual(["externaldns-a.web.example.org vanixiets-cluster"]);
    expect(api.requests.count({ kind: "dns_records.batch" })).toBe(1);
    expect(api.requests.count((request) => request.status >= 400)).toBe(0);

    const again = await runStep(RENAME_COMMAND, input());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      "Renamed the ownership records from owner vanixiets-cluster to hel1: 0 record(s) of the 2 hostname(s)",
    );
    expect(api.requests.count({ kind: "dns_records.batch" })).toBe(1);
  });

  it("changes nothing and exits 1 when the cluster cannot be read, naming the cause", async () => {
    await cluster.close();
    const result = await runStep(RENAME_COMMAND, input());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Renaming the ownership records from owner vanixiets-cluster to hel1 stopped before any change: the hostnames the cluster declares could not be read \(.*ECONNREFUSED.*\)/,
    );
    expect(result.stderr).toContain(UNTIL_RENAMED);
    expect(api.requests.writes()).toBe(0);
    cluster = await startFakeKubernetesApi({});
  });

  it("names tokenAllowedCidrs when Cloudflare refuses the token from this machine's address", async () => {
    const restricted = api.state.mintDnsToken("restricted", [COM.id], {
      request_ip: { in: ["198.51.100.0/24"] },
    });
    const result = await runStep(
      RENAME_COMMAND,
      input({ token: restricted.value, zones: [{ id: COM.id, name: COM.name }] }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot use the access token from location");
    expect(result.stderr).toContain("or add this machine's for the rename");
    expect(result.stderr).not.toContain(restricted.value);
  });

  it("does not quote its input when it cannot parse it", async () => {
    const result = await runStep(RENAME_COMMAND, `{"token":"${token}",`);
    expect(result).toMatchObject({
      code: 1,
      stderr: "The input on stdin is not the JSON the TxtOwnerRename step writes.\n",
    });
  });
});
