/**
 * What external-dns 0.21 itself does with records whose ownership records are
 * named with another TXT prefix: the window of the ownership move
 * (docs/migration.md: "Moving to another TXT prefix"), between the rollout to
 * the new prefix and the move, made deterministic. The real binary runs once
 * (`--once`) against the cluster's Services and the Cloudflare stand-in, with
 * records whose ownership records carry the old prefix: one whose Service now
 * wants another address, one whose Service is gone.
 *
 * With the new prefix it must leave both exactly as they are (and still make
 * the record of a new name); with the old prefix, as a control, the same run
 * updates the one and deletes the other, so the first run shows ownership, not
 * an idle external-dns.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CloudflareApi, DNS_WRITE_KINDS, startCloudflareApi } from "./support/cloudflareApi";
import { Cluster } from "./support/cluster";
import { checkEnvironment, describeProblems } from "./support/environment";
import { loadBalancerService } from "./support/sources";
import { STACK_ZONES } from "./support/stackSuite";

const NAMESPACE = "e2e-ownership-by-prefix";
const OWNER = "vanixiets-cluster";
const OLD_PREFIX = "externaldns-";
const NEW_PREFIX = "externaldns-%{record_type}.";
const [COM] = STACK_ZONES;
const ownership = (resource: string) =>
  `"heritage=external-dns,external-dns/owner=${OWNER},external-dns/resource=${resource}"`;

let problem: string | undefined;
let cluster: Cluster;
let api: CloudflareApi;
let token = "";

beforeAll(async () => {
  const check = await checkEnvironment(["external-dns"]);
  if (!check.ok) {
    problem = describeProblems(check.problems);
    return;
  }
  cluster = new Cluster();
  const clusterProblem = await cluster.problem();
  if (clusterProblem) {
    problem = describeProblems([clusterProblem]);
    return;
  }
  await cluster.deleteNamespace(NAMESPACE);
  await cluster.create(
    { apiVersion: "v1", plural: "namespaces" },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
  );
  // web.example.com now wants 203.0.113.99; its record still says .60. fresh.example.com has no record yet.
  await loadBalancerService(cluster, NAMESPACE, "web", "web.example.com", [{ ip: "203.0.113.99" }]);
  await loadBalancerService(cluster, NAMESPACE, "fresh", "fresh.example.com", [
    { ip: "203.0.113.70" },
  ]);
  api = await startCloudflareApi();
  api.state.seedRecords(COM.id, [
    { type: "A", name: "web", content: "203.0.113.60" },
    { type: "TXT", name: "externaldns-a-web", content: ownership(`service/${NAMESPACE}/web`) },
    // A record whose Service is gone: under sync, its owner deletes it.
    { type: "A", name: "gone", content: "203.0.113.61" },
    { type: "TXT", name: "externaldns-a-gone", content: ownership(`service/${NAMESPACE}/gone`) },
  ]);
  token = api.state.mintDnsToken("external-dns", [COM.id]).value;
}, 120_000);

beforeEach(() => {
  if (problem) throw new Error(problem);
});

afterAll(async () => {
  await api?.close();
  await cluster?.deleteNamespace(NAMESPACE);
}, 120_000);

/** One reconcile of the real external-dns with `prefix`; its exit code and log. */
function externalDnsOnce(prefix: string): Promise<{ code: number; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "external-dns",
      [
        "--once",
        "--source=service",
        `--namespace=${NAMESPACE}`,
        "--provider=cloudflare",
        `--zone-id-filter=${COM.id}`,
        "--domain-filter=example.com",
        "--policy=sync",
        "--registry=txt",
        `--txt-owner-id=${OWNER}`,
        `--txt-prefix=${prefix}`,
        "--no-cloudflare-proxied",
        "--cloudflare-dns-records-per-page=5000",
        "--log-level=debug",
        `--kubeconfig=${process.env.KUBECONFIG?.split(":")[0]}`,
        "--metrics-address=127.0.0.1:0",
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          CF_API_TOKEN: token,
          CLOUDFLARE_BASE_URL: api.url,
        },
      },
    );
    let log = "";
    child.stdout.on("data", (chunk) => {
      log += chunk;
    });
    child.stderr.on("data", (chunk) => {
      log += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, log }));
  });
}

const zone = () =>
  api.state
    .records(COM.id)
    .map((record) => `${record.type} ${record.name} ${record.content}`)
    .sort();

const writtenNames = (since: number) =>
  api.requests.all
    .slice(since)
    .filter((request) => DNS_WRITE_KINDS.has(request.kind))
    .flatMap((request) => request.recordNames ?? [])
    .sort();

describe("external-dns 0.21 and ownership records under another prefix", () => {
  it("with the new prefix, it changes and deletes none of the records owned through the old names, and makes the record of a new name", async () => {
    const before = zone();
    const since = api.requests.all.length;
    const run = await externalDnsOnce(NEW_PREFIX);
    expect(run.code, run.log).toBe(0);
    expect(writtenNames(since)).toEqual(["externaldns-a.fresh.example.com", "fresh.example.com"]);
    expect(zone()).toEqual(
      [
        ...before,
        "A fresh.example.com 203.0.113.70",
        `TXT externaldns-a.fresh.example.com ${ownership(`service/${NAMESPACE}/fresh`)}`,
      ].sort(),
    );
    expect(api.requests.count((request) => request.status >= 400)).toBe(0);
  });

  it("with the old prefix (the control), the same run updates the changed record and deletes the one whose Service is gone", async () => {
    const since = api.requests.all.length;
    const run = await externalDnsOnce(OLD_PREFIX);
    expect(run.code, run.log).toBe(0);
    expect(zone()).toContain("A web.example.com 203.0.113.99");
    expect(zone().filter((line) => line.includes("gone.example.com"))).toEqual([]);
    expect(writtenNames(since)).toEqual(
      expect.arrayContaining(["web.example.com", "gone.example.com"]),
    );
  });
});
