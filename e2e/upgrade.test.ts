/**
 * Upgrading a deployed stack from chart 1.21.1 (external-dns 0.21.0) to chart
 * 1.22.0 (external-dns 0.22.0), then to external-dns 0.23.0, with the real
 * binaries running for the chart's pod (support/externalDns.ts) and Services
 * annotated the way clusters are today (`external-dns.alpha.kubernetes.io/`).
 * While each `pulumi up` runs, the zone is sampled every 100 ms: no record may
 * go missing or change. Then the guard: going back to a version that reads one
 * prefix while a Service carries only the new one is refused; and the failure
 * it prevents, shown with the opt-in (`annotationPrefix: current`) and the
 * legacy annotations left in place: their records go.
 */
import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "./support/cloudflareApi";
import { waitFor } from "./support/cluster";
import { type LiveDns, useLiveDns } from "./support/liveDns";
import { describeRun, type RunResult } from "./support/project";
import {
  CURRENT_PREFIX,
  ingress,
  LEGACY_PREFIX,
  loadBalancerService,
  serviceRef,
} from "./support/sources";
import { STACK_ZONES, useStackSuite } from "./support/stackSuite";

const suite = useStackSuite({
  stack: "upgrade",
  tools: ["external-dns", "external-dns-v0.22.0", "external-dns-v0.23.0"],
  config: {
    "external-dns:chartVersion": "1.21.1",
    "external-dns:sources": ["service", "ingress"],
    "external-dns:interval": "2s",
  },
});
const live = useLiveDns(suite);
let running: LiveDns | undefined;

const ZONE = STACK_ZONES[0];
const HOSTS = {
  web: "web.example.com",
  api: "api.example.com",
  keep: "keep.example.com",
  shop: "shop.example.com",
  fresh: "fresh.example.com",
  fresh22: "fresh22.example.com",
};

function dns(): LiveDns {
  if (!running) throw new Error("external-dns must be running (see the first test)");
  return running;
}

/** The zone's records, each with its id (a record deleted and made again gets a new one). */
function zone(): string[] {
  return suite.api.state
    .records(ZONE.id)
    .map((record) => `${record.id} ${record.type} ${record.name} ${record.content} ${record.ttl}`)
    .sort();
}

/** The names of the A record and its ownership record that external-dns makes for `host`. */
function recordsOf(host: string): string[] {
  return suite.api.state
    .records(ZONE.id)
    .filter((record) => record.name === host || record.name === `externaldns-a.${host}`)
    .map((record) => `${record.type} ${record.name}`)
    .sort();
}

const PUBLISHED = (host: string) => [`A ${host}`, `TXT externaldns-a.${host}`];

function waitForRecords(host: string, expected: string[]): Promise<true> {
  return waitFor(
    `${host} to have ${expected.length === 0 ? "no records" : expected.join(", ")}`,
    60_000,
    async () => (recordsOf(host).join() === expected.join() ? true : undefined),
    async () =>
      `${host} has ${recordsOf(host).join(", ") || "nothing"}; last external-dns lines:\n${dns().pods.lines.slice(-6).join("\n")}`,
  );
}

/** Requests external-dns made with a minted token that Cloudflare refused. */
function failed(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((request) => request.status >= 400)
    .map((request) => `${request.method} ${request.path} ${request.status}`);
}

/**
 * Runs `up` while sampling the zone every 100 ms, then waits until the pod of
 * `imageTag` has reconciled twice; returns every sample that differed.
 */
async function sampledUp(imageTag: string): Promise<{ up: RunResult; deviations: string[] }> {
  const baseline = zone();
  const deviations: string[] = [];
  const sampler = setInterval(() => {
    const now = zone();
    if (now.join("\n") !== baseline.join("\n"))
      deviations.push(`${new Date().toISOString()}: ${now.length} records`);
  }, 100);
  try {
    const up = await suite.project.up([], { timeoutMs: 240_000 });
    if (up.exitCode !== 0) return { up, deviations };
    await dns().pods.waitForProcess((record) => record.image.endsWith(`:${imageTag}`), 120_000);
    await dns().waitForReconciles(2, ZONE.id);
    return { up, deviations };
  } finally {
    clearInterval(sampler);
  }
}

/** What the running external-dns process was started with. */
function runningArgs(): string[] {
  const [current] = dns().pods.current;
  return current?.args ?? [];
}

/** One external-dns at a time, none crashed or logged an error, no write refused. */
function expectCleanRun(since: number): void {
  expect(dns().pods.maxConcurrent(), "external-dns processes running at once").toBe(1);
  expect(dns().pods.crashes()).toEqual([]);
  expect(dns().pods.errorLines()).toEqual([]);
  expect(failed(dns().externalDnsRequests(since))).toEqual([]);
}

describe("upgrading a deployed stack to chart 1.22.0 and external-dns 0.22.0 and 0.23.0", () => {
  it("on chart 1.21.1, external-dns 0.21.0 publishes Services annotated with the legacy prefix and an Ingress", async () => {
    const up = await suite.project.up();
    expect(up.exitCode, describeRun(up)).toBe(0);
    running = await live.start();
    await dns().pods.waitForProcess((record) => record.image.endsWith(":v0.21.0"));
    const ns = suite.namespace;
    await loadBalancerService(suite.cluster, ns, "web", HOSTS.web, [{ ip: "203.0.113.10" }]);
    await loadBalancerService(suite.cluster, ns, "api", HOSTS.api, [{ ip: "203.0.113.11" }]);
    await loadBalancerService(suite.cluster, ns, "keep", HOSTS.keep, [{ ip: "203.0.113.12" }]);
    await ingress(suite.cluster, ns, "shop", HOSTS.shop, [{ ip: "203.0.113.20" }]);
    for (const host of [HOSTS.web, HOSTS.api, HOSTS.keep, HOSTS.shop])
      await waitForRecords(host, PUBLISHED(host));
    expect(runningArgs().some((arg) => arg.includes("annotation-prefix"))).toBe(false);
  });

  it("chart 1.22.0 (external-dns 0.22.0) keeps reading the legacy annotations: no record goes missing or changes at any moment", async () => {
    const since = suite.api.requests.all.length;
    await suite.project.configure({ "external-dns:chartVersion": "1.22.0" });
    const { up, deviations } = await sampledUp("v0.22.0");
    expect(up.exitCode, describeRun(up)).toBe(0);
    expect(up.output).toContain("this up rolls it to external-dns v0.22.0 (chart 1.22.0)");
    expect(deviations, "samples of the zone that differed").toEqual([]);
    expect(runningArgs()).toContain(`--annotation-prefix=${LEGACY_PREFIX}`);
    expect(dns().pods.history.map((record) => record.image.split(":").pop())).toEqual([
      "v0.21.0",
      "v0.22.0",
    ]);
    expectCleanRun(since);
  });

  it("under sync, external-dns 0.22.0 still deletes the records of a deleted annotated Service", async () => {
    await suite.cluster.delete(serviceRef(suite.namespace, "api"));
    await waitForRecords(HOSTS.api, []);
    expect(recordsOf(HOSTS.web)).toEqual(PUBLISHED(HOSTS.web));
  });

  it("external-dns 0.23.0 reads both prefixes: the move changes no record, and a Service annotated with the new prefix gets its record", async () => {
    const since = suite.api.requests.all.length;
    await suite.project.configure({ "external-dns:externalDnsVersion": "0.23.0" });
    const { up, deviations } = await sampledUp("v0.23.0");
    expect(up.exitCode, describeRun(up)).toBe(0);
    expect(deviations, "samples of the zone that differed").toEqual([]);
    expect(runningArgs()).toContain("--enable-legacy-annotation-prefix");
    expect(runningArgs().some((arg) => arg.startsWith("--annotation-prefix"))).toBe(false);
    await loadBalancerService(
      suite.cluster,
      suite.namespace,
      "fresh",
      HOSTS.fresh,
      [{ ip: "203.0.113.13" }],
      CURRENT_PREFIX,
    );
    await waitForRecords(HOSTS.fresh, PUBLISHED(HOSTS.fresh));
    await suite.cluster.delete(serviceRef(suite.namespace, "web"));
    await waitForRecords(HOSTS.web, []);
    expectCleanRun(since);
  });

  it("going back to 0.22.0 with the legacy prefix while a Service carries only the new one is refused, naming it", async () => {
    await suite.project.configure({ "external-dns:externalDnsVersion": "0.22.0" });
    const preview = await suite.project.preview();
    expect(preview.exitCode, describeRun(preview)).not.toBe(0);
    expect(preview.output).toContain(
      `external-dns 0.22.0 reads ${LEGACY_PREFIX} only (--annotation-prefix=${LEGACY_PREFIX}), and would ignore these annotations of objects it watches:`,
    );
    expect(preview.output).toContain(`service/${suite.namespace}/fresh: ${CURRENT_PREFIX}hostname`);
    expect(preview.output).toContain("Nothing was changed.");
    expect(preview.output.split("\n").filter((line) => /^\s+at /.test(line))).toEqual([]);
  });

  it("the rollback to chart 1.21.1, once no object needs the new prefix, changes no record", async () => {
    await suite.cluster.delete(serviceRef(suite.namespace, "fresh"));
    await waitForRecords(HOSTS.fresh, []);
    const since = suite.api.requests.all.length;
    await suite.project.configure({ "external-dns:chartVersion": "1.21.1" });
    await suite.project.expectSuccess(
      suite.project.pulumi([
        "config",
        "rm",
        "external-dns:externalDnsVersion",
        "--stack",
        suite.stack,
      ]),
    );
    const { up, deviations } = await sampledUp("v0.21.0");
    expect(up.exitCode, describeRun(up)).toBe(0);
    expect(deviations, "samples of the zone that differed").toEqual([]);
    expect(recordsOf(HOSTS.keep)).toEqual(PUBLISHED(HOSTS.keep));
    expect(recordsOf(HOSTS.shop)).toEqual(PUBLISHED(HOSTS.shop));
    expectCleanRun(since);
  });

  it("the same upgrade with the opt-in (annotationPrefix current) and the legacy annotations left: the preview names them, and their records go", async () => {
    await suite.project.configure({
      "external-dns:chartVersion": "1.22.0",
      "external-dns:annotationPrefix": "current",
    });
    const preview = await suite.project.preview();
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(preview.output).toContain(
      `external-dns 0.22.0 reads ${CURRENT_PREFIX} only (its default) (annotationPrefix current), so it ignores these annotations:`,
    );
    expect(preview.output).toContain(`service/${suite.namespace}/keep: ${LEGACY_PREFIX}hostname`);
    const up = await suite.project.up([], { timeoutMs: 240_000 });
    expect(up.exitCode, describeRun(up)).toBe(0);
    await dns().pods.waitForProcess((record) => record.image.endsWith(":v0.22.0"), 120_000);
    // The failure the guard prevents: external-dns no longer sees keep's hostname, and deletes its records.
    await waitForRecords(HOSTS.keep, []);
    // An Ingress's host is a rule, not an annotation: its records stay.
    expect(recordsOf(HOSTS.shop)).toEqual(PUBLISHED(HOSTS.shop));
    // The new prefix works on 0.22.0.
    await loadBalancerService(
      suite.cluster,
      suite.namespace,
      "fresh22",
      HOSTS.fresh22,
      [{ ip: "203.0.113.14" }],
      CURRENT_PREFIX,
    );
    await waitForRecords(HOSTS.fresh22, PUBLISHED(HOSTS.fresh22));
  });
});
