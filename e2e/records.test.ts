/**
 * Records for real: the real external-dns 0.22.0 (chart 1.22.0, the default) runs as the chart's pod (its
 * args, the operator's Secret, the ServiceAccount's RBAC) against the
 * Cloudflare stand-in, and makes, keeps and deletes records as the stack's
 * config says. Tests run in order and build on each other.
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ZONES,
  type DnsRecord,
  type RecordedRequest,
  type SeedRecord,
} from "./support/cloudflareApi";
import { waitFor } from "./support/cluster";
import { sha256 } from "./support/externalDns";
import { type LiveDns, summarize, UP_TO_DATE, useLiveDns } from "./support/liveDns";
import {
  availableDeployment,
  containerArgs,
  deploymentRef,
  secretToken,
  sopsSecretRef,
  sopsSecretStatus,
  tokenSecretRef,
} from "./support/objects";
import { describeRun } from "./support/project";
import {
  gatewayRoute,
  ingress,
  ingressRef,
  loadBalancerService,
  serviceRef,
} from "./support/sources";
import { STACK_ZONES, useStackSuite } from "./support/stackSuite";

const [COM, ORG] = STACK_ZONES;
const NET = DEFAULT_ZONES[2];
const OWNER = "e2e-records";

/** Records another owner and a person made, which this stack's external-dns must never touch. */
const FOREIGN: SeedRecord[] = [
  { type: "A", name: "legacy", content: "198.51.100.7" },
  {
    type: "TXT",
    name: "externaldns-a.legacy",
    content:
      '"heritage=external-dns,external-dns/owner=another-cluster,external-dns/resource=service/x/legacy"',
  },
  { type: "A", name: "manual", content: "198.51.100.8" },
];

const suite = useStackSuite({
  stack: "records",
  tools: ["external-dns-v0.22.0"],
  config: {
    "external-dns:sources": ["service", "ingress", "gateway-httproute"],
    "external-dns:excludeDomains": ["internal.example.com"],
    "external-dns:interval": "2s",
    "external-dns:recordsPerPage": 100,
  },
  prepare: async (suite) => {
    suite.api.state.seedRecords(COM.id, FOREIGN);
  },
});
const live = useLiveDns(suite);
let running: LiveDns | undefined;

function dns(): LiveDns {
  if (!running) throw new Error("external-dns must be running (see the first test)");
  return running;
}

/** The stand-in's records named `name`, across the stack's zones. */
function recordsNamed(name: string): DnsRecord[] {
  return suite.api.state.recordsNamed(name, [COM.id, ORG.id]);
}

function ownership(resource: string): string {
  return `"heritage=external-dns,external-dns/owner=${OWNER},external-dns/resource=${resource}"`;
}

function failed(requests: RecordedRequest[]): string[] {
  return requests
    .filter((request) => request.status >= 400)
    .map((request) => `${request.method} ${request.path} ${request.status}`);
}

function writtenNames(requests: RecordedRequest[]): string[] {
  return requests.flatMap((request) => request.recordNames ?? []);
}

/** What the three source kinds declare, and the records external-dns must make for them. */
const SOURCES = [
  {
    resource: "service/e2e-records/web",
    host: "web.example.com",
    records: { A: "203.0.113.10", AAAA: "2001:db8::10" },
  },
  {
    resource: "ingress/e2e-records/shop",
    host: "shop.example.org",
    records: { CNAME: "lb-1.lb.example.net" },
  },
  {
    resource: "httproute/e2e-records/api",
    host: "api.example.com",
    records: { A: "203.0.113.30" },
  },
];

describe("records for real", () => {
  it("external-dns runs as the chart's pod: the Deployment's args, the Secret's token, the chart's RBAC", async () => {
    const up = await suite.project.up();
    expect(up.exitCode, describeRun(up)).toBe(0);
    running = await live.start();
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    const process = await dns().pods.waitForProcess();
    expect(process.args).toEqual(containerArgs(deployment));
    const tokens = suite.api.state.tokens();
    expect(tokens).toHaveLength(1);
    expect(dns().runningTokenId()).toBe(tokens[0].id);
    await dns().waitForReconciles(1, COM.id);
    expect(dns().pods.crashes()).toEqual([]);
    expect(failed(dns().externalDnsRequests())).toEqual([]);
    expect(dns().pods.errorLines()).toEqual([]);
  });

  it("a Service, an Ingress and an HTTPRoute each get their records and the ownership TXT records npm run plan predicts", async () => {
    const ns = suite.namespace;
    await loadBalancerService(suite.cluster, ns, "web", "web.example.com", [
      { ip: "203.0.113.10" },
      { ip: "2001:db8::10" },
    ]);
    await ingress(suite.cluster, ns, "shop", "shop.example.org", [
      { hostname: "lb-1.lb.example.net" },
    ]);
    await gatewayRoute(suite.cluster, ns, "api", "api.example.com", "203.0.113.30");
    for (const source of SOURCES)
      await waitFor(
        `records for ${source.host}`,
        60_000,
        async () =>
          Object.keys(source.records).every((type) =>
            recordsNamed(source.host).some((record) => record.type === type),
          )
            ? true
            : undefined,
        async () => dns().pods.lines.slice(-5).join("\n"),
      );

    const plan = await dns().plan(SOURCES.flatMap((source) => ["--hostname", source.host]));
    for (const source of SOURCES) {
      const types = Object.keys(source.records);
      const records = recordsNamed(source.host);
      expect(
        Object.fromEntries(records.map((record) => [record.type, record.content])),
        source.host,
      ).toEqual(source.records);
      const predicted = (plan.ownershipTxtRecords ?? []).filter(
        (record) => record.host === source.host && types.includes(record.recordType),
      );
      expect(predicted.map((record) => record.recordType).sort()).toEqual([...types].sort());
      for (const { txtName } of predicted)
        expect(recordsNamed(txtName).map((record) => record.content)).toEqual([
          ownership(source.resource),
        ]);
      // No other ownership record for the host: the plan names every TXT it gets.
      const allTxt = [COM, ORG]
        .flatMap((zone) => suite.api.state.records(zone.id))
        .filter((record) => record.type === "TXT" && record.content.includes(source.resource));
      expect(allTxt.map((record) => record.name).sort()).toEqual(
        predicted.map((record) => record.txtName).sort(),
      );
    }
    expect(failed(dns().externalDnsRequests())).toEqual([]);
  });

  it("filters hold: excluded, out-of-filter and out-of-scope names, and others' records, get no write", async () => {
    const ns = suite.namespace;
    const seededBefore = recordsNamed("legacy.example.com")
      .concat(recordsNamed("manual.example.com"))
      .map((record) => ({ ...record }));
    const since = suite.api.requests.all.length;
    const untouchable = {
      excluded: "x.internal.example.com",
      "other-zone": "y.example.net",
      "no-zone": "z.example.io",
      foreign: "legacy.example.com",
      unowned: "manual.example.com",
    };
    for (const [name, host] of Object.entries(untouchable))
      await loadBalancerService(suite.cluster, ns, name, host, [{ ip: "203.0.113.99" }]);
    await dns().waitForReconciles(3, COM.id);

    const requests = dns().externalDnsRequests(since);
    expect(failed(requests)).toEqual([]);
    expect(
      writtenNames(requests).filter((name) => Object.values(untouchable).includes(name)),
    ).toEqual([]);
    expect(suite.api.requests.count((request) => request.zoneId === NET.id)).toBe(0);
    expect(suite.api.state.records(NET.id)).toEqual([]);
    expect(recordsNamed("legacy.example.com").concat(recordsNamed("manual.example.com"))).toEqual(
      seededBefore,
    );
    // The plan agrees on which names the filters leave alone.
    const plan = await dns().plan(
      ["x.internal.example.com", "y.example.net", "z.example.io"].flatMap((host) => [
        "--hostname",
        host,
      ]),
    );
    expect(plan.unmanagedHostnames).toEqual([
      "x.internal.example.com",
      "y.example.net",
      "z.example.io",
    ]);
    for (const name of Object.keys(untouchable)) await suite.cluster.delete(serviceRef(ns, name));
  });

  it.each([
    [40, "one page"],
    [250, "three pages and the empty one"],
  ])(
    "the API use per reconcile equals the plan's estimate, measured at %i records per zone (%s)",
    async (count) => {
      for (const zone of [COM, ORG]) {
        const missing = count - suite.api.state.records(zone.id).length;
        expect(missing).toBeGreaterThanOrEqual(0);
        suite.api.state.seedRecords(
          zone.id,
          Array.from({ length: missing }, (_, index) => ({
            type: "A",
            name: `filler-${count}-${index}`,
            content: `192.0.2.${index % 250}`,
          })),
        );
      }
      await dns().waitForReconciles(1, COM.id);
      const since = suite.api.requests.all.length;
      await dns().waitForReconciles(4, COM.id);
      const reconciles = bursts(dns().externalDnsRequests(since)).slice(1, -1);
      expect(reconciles.length).toBeGreaterThanOrEqual(2);

      const planned = (await dns().plan(["--records", String(count)])).apiUsage;
      expect(planned?.recordsPerPage).toBe(100);
      for (const reconcile of reconciles) {
        expect(failed(reconcile)).toEqual([]);
        expect(reconcile.filter((request) => request.kind === "zones.get")).toHaveLength(2);
        expect(reconcile.filter((request) => request.kind.startsWith("dns_records.")).length).toBe(
          reconcile.length - 2,
        );
        expect(reconcile.length).toBe(planned?.requestsPerReconcile);
      }
    },
  );

  it("npm run verify passes on the live deployment", async () => {
    const { run, results } = await dns().verify();
    // The one thing verify cannot see here: the pod is kwok's, whose kubelet has no log. The
    // process's own log is checked instead (the first test and the last).
    expect(
      summarize(results.filter((result) => result.status !== "pass")),
      `${describeRun(run)}\n${summarize(results).join("\n")}`,
    ).toEqual(["warn logs: recent log"]);
    expect(results.find((result) => result.area === "logs")?.detail).toMatch(/no logs found/);
    expect(run.exitCode).toBe(0);
    expect(summarize(results)).toEqual(
      expect.arrayContaining([
        "pass records: web.example.com",
        "pass records: shop.example.org",
        "pass records: api.example.com",
        "pass records: orphans",
        "pass token: token active",
        "pass token: leftover tokens",
        "pass secret chain: Secret",
      ]),
    );
  });

  it("verify fails with the right hint when a record is missing, and external-dns (sync) puts it back", async () => {
    await dns().pods.pause();
    try {
      const [a] = recordsNamed("web.example.com").filter((record) => record.type === "A");
      removeRecord(a);
      const { run, results } = await dns().verify();
      expect(run.exitCode).toBe(1);
      const web = results.find((result) => result.check === "web.example.com");
      expect(web).toMatchObject({ status: "fail" });
      expect(web?.detail).toMatch(
        /^no A record, though its ownership record externaldns-a.web.example.com is there/,
      );
      expect(web?.hint).toMatch(/deleted outside external-dns: under sync it makes it again/);
    } finally {
      dns().pods.resume();
    }
    await waitFor("external-dns to recreate the A record of web.example.com", 60_000, async () =>
      recordsNamed("web.example.com").some((record) => record.type === "A") ? true : undefined,
    );
  });

  it("verify fails on an ownership record left without its record, which external-dns never deletes", async () => {
    const [orphan] = suite.api.state.seedRecords(COM.id, [
      { type: "TXT", name: "externaldns-a.gone", content: ownership("service/e2e-records/gone") },
    ]);
    await dns().waitForReconciles(2, COM.id);
    expect(recordsNamed("externaldns-a.gone.example.com"), "external-dns left it").toHaveLength(1);
    const { run, results } = await dns().verify();
    expect(run.exitCode).toBe(1);
    const orphans = results.find((result) => result.check === "orphans");
    expect(orphans).toMatchObject({
      status: "fail",
      detail: "ownership records left without their record: externaldns-a.gone.example.com",
    });
    expect(orphans?.hint).toMatch(/delete these TXT records/);
    removeRecord(orphan);
  });

  it("verify fails with the right hint when the operator's Secret is missing", async () => {
    const ref = sopsSecretRef(suite.namespace);
    await suite.cluster.patch(ref, { spec: { suspend: true } });
    await waitFor("the operator to suspend the SopsSecret", 30_000, async () =>
      (await sopsSecretStatus(suite.cluster, suite.namespace)) === "Reconciliation is suspended"
        ? true
        : undefined,
    );
    try {
      await suite.cluster.delete(tokenSecretRef(suite.namespace));
      const { run, results } = await dns().verify();
      expect(run.exitCode).toBe(1);
      expect(results.find((result) => result.check === "Secret")).toMatchObject({
        status: "fail",
        detail: "Secret cloudflare-api-token not found",
      });
      expect(results.find((result) => result.check === "SopsSecret")?.hint).toMatch(
        /spec.suspend is true.*patch sopssecret external-dns-cloudflare/,
      );
    } finally {
      await suite.cluster.patch(ref, { spec: { suspend: null } });
    }
    await waitFor("the operator to recreate the Secret", 30_000, async () =>
      (await suite.cluster.get(tokenSecretRef(suite.namespace))) &&
      (await sopsSecretStatus(suite.cluster, suite.namespace)) === "Healthy"
        ? true
        : undefined,
    );
  });

  it("under sync, deleting the Service deletes its records and their ownership records", async () => {
    const since = suite.api.requests.all.length;
    await suite.cluster.delete(serviceRef(suite.namespace, "web"));
    await waitFor("external-dns to delete web.example.com's records", 60_000, async () =>
      recordsNamed("web.example.com").length === 0 ? true : undefined,
    );
    expect(recordsNamed("externaldns-a.web.example.com")).toEqual([]);
    expect(recordsNamed("externaldns-aaaa.web.example.com")).toEqual([]);
    expect(failed(dns().externalDnsRequests(since))).toEqual([]);
  });

  it("under upsert-only, deleting the Ingress keeps its records", async () => {
    await suite.project.configure({ "external-dns:policy": "upsert-only" });
    const up = await suite.project.up();
    expect(up.exitCode, describeRun(up)).toBe(0);
    await dns().pods.waitForProcess((process) => process.args.includes("--policy=upsert-only"));
    const before = recordsNamed("shop.example.org").concat(
      recordsNamed("externaldns-cname.shop.example.org"),
    );
    expect(before).toHaveLength(2);
    const since = suite.api.requests.all.length;
    await suite.cluster.delete(ingressRef(suite.namespace, "shop"));
    await dns().waitForReconciles(3, COM.id);
    expect(
      recordsNamed("shop.example.org").concat(recordsNamed("externaldns-cname.shop.example.org")),
    ).toEqual(before);
    expect(writtenNames(dns().externalDnsRequests(since))).toEqual([]);
  });

  it("with dryRun, external-dns plans the change and no write reaches Cloudflare", async () => {
    await suite.project.configure({ "external-dns:dryRun": true, "external-dns:policy": "sync" });
    const up = await suite.project.up();
    expect(up.exitCode, describeRun(up)).toBe(0);
    const process = await dns().pods.waitForProcess((candidate) =>
      candidate.args.includes("--dry-run"),
    );
    const since = suite.api.requests.all.length;
    await loadBalancerService(suite.cluster, suite.namespace, "dry", "dry.example.com", [
      { ip: "203.0.113.40" },
    ]);
    await dns().waitForReconciles(3, COM.id);
    const requests = dns().externalDnsRequests(since);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((request) => request.method !== "GET")).toEqual([]);
    expect(recordsNamed("dry.example.com")).toEqual([]);
    // It did see the change it would have made (and, under sync, the Ingress's records it would delete).
    expect(process.args).toContain("--dry-run");
    expect(
      dns().pods.lines.filter((line) => line.includes("dry.example.com")).length,
    ).toBeGreaterThan(0);
  });

  it("only one external-dns ran at any time, none crashed, and none logged an error", () => {
    expect(dns().pods.maxConcurrent()).toBe(1);
    expect(dns().pods.crashes()).toEqual([]);
    expect(dns().pods.errorLines()).toEqual([]);
    expect(dns().pods.lines.filter((line) => UP_TO_DATE.test(line)).length).toBeGreaterThan(0);
  });

  it("a token revoked at Cloudflare fails verify with the way back, and that way works", async () => {
    const revoked = dns().runningTokenId();
    const crashes = dns().pods.crashes().length;
    suite.api.state.deleteToken(revoked);
    const since = suite.api.requests.all.length;
    // Its zone read is refused (403, error 9109: a hard error), so external-dns exits and the pod crash-loops.
    await waitFor("external-dns to exit on the revoked token", 30_000, async () =>
      dns().pods.crashes().length > crashes ? true : undefined,
    );
    expect(failed(dns().externalDnsRequests(since)).length).toBeGreaterThan(0);
    expect(
      dns()
        .pods.errorLines()
        .some((line) => /level=fatal.*(403|Invalid access token)/.test(line)),
    ).toBe(true);

    const { run, results } = await dns().verify();
    expect(run.exitCode).toBe(1);
    const token = results.find((result) => result.check === "token active");
    expect(token).toMatchObject({
      status: "fail",
      detail: "Cloudflare answered 401 (error 1000: Invalid API Token)",
    });
    expect(token?.hint).toContain(
      "pulumi up --refresh notices the token is gone and mints a new one, and restarts external-dns onto it in the same up",
    );

    // The hint: up --refresh mints and delivers a new token, and restarts external-dns onto it.
    const up = await suite.project.up(["--refresh"]);
    expect(up.exitCode, describeRun(up)).toBe(0);
    const [minted] = suite.api.state.tokens();
    expect(minted.id).not.toBe(revoked);
    expect(
      (await secretToken(suite.cluster, suite.namespace)) === suite.api.state.tokenValue(minted.id),
    ).toBe(true);
    const template = (await suite.cluster.get(deploymentRef(suite.namespace))) as unknown as {
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    };
    expect(
      template.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"],
      "the up restarted the Deployment",
    ).toBeDefined();
    await dns().pods.waitForProcess(
      (process) => process.tokenSha256 === sha256(suite.api.state.tokenValue(minted.id) ?? ""),
      15_000,
    );
    const restarted = suite.api.requests.all.length;
    await dns().waitForReconciles(2, COM.id);
    expect(failed(dns().externalDnsRequests(restarted))).toEqual([]);
    expect(dns().pods.maxConcurrent()).toBe(1);
    // The restart is not the program's field: the next preview has nothing to change.
    const preview = await suite.project.preview(["--expect-no-changes"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
  });
});

/** Requests grouped into reconciles: a pause of more than 700 ms starts a new one (interval 2s). */
function bursts(requests: RecordedRequest[]): RecordedRequest[][] {
  const groups: RecordedRequest[][] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const request of requests) {
    if (request.time - last > 700) groups.push([]);
    groups[groups.length - 1].push(request);
    last = request.time;
  }
  return groups;
}

function removeRecord(record: DnsRecord): void {
  const zoneRecords = suite.api.state.records(record.zoneId);
  suite.api.state.replaceRecords(
    record.zoneId,
    zoneRecords.filter((candidate) => candidate.id !== record.id),
  );
}
