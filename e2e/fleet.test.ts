/**
 * A fleet for real (issue 18). Two clusters, hel1 and fsn1, are two loopback
 * control planes (KUBECONFIG and E2E_SECOND_KUBECONFIG), each with its own
 * sops-secrets-operator and its own external-dns 0.21 process for the chart's
 * pod; their stacks share example.com at one Cloudflare stand-in, with
 * disjoint domain filters. (Two namespaces of one cluster cannot stand in for
 * two clusters: both charts would apply the cluster-scoped ClusterRoleBinding
 * `external-dns`, each with its own ServiceAccount as subject, and each
 * external-dns would read the other's Services.)
 *
 * The fleet starts as the seed left it: both clusters under the shared owner
 * `vanixiets-cluster`, each stack deployed from its own checkout. Then the
 * stacks go into one project, where `npm run fleet` refuses the shared owner;
 * each gets its own owner with `migrateFromTxtOwnerId`, and both ups run at
 * once, with every record sampled. `npm run fleet -- --live` then shows who
 * owns what and cleans up a decommissioned cluster's records, and a third
 * stack with hel1's owner is refused before anything is created.
 *
 * Tests run in order and build on each other.
 */
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ownershipOwner } from "../components/txtRecords";
import type { LiveReport } from "../fleet/liveReport";
import type { FleetReport } from "../fleet/report";
import {
  type CloudflareApi,
  DEFAULT_ZONES,
  DNS_WRITE_KINDS,
  type DnsRecord,
  startCloudflareApi,
} from "./support/cloudflareApi";
import { Cluster, waitFor } from "./support/cluster";
import {
  checkEnvironment,
  checkSecondCluster,
  describeProblems,
  type E2eEnvironment,
  type SecondCluster,
} from "./support/environment";
import { ExternalDnsPods } from "./support/externalDns";
import { UP_TO_DATE } from "./support/liveDns";
import { availableDeployment } from "./support/objects";
import {
  type ConfigValue,
  describeRun,
  type RunResult,
  ScratchProject,
  secret,
} from "./support/project";
import { loadBalancerService, serviceRef } from "./support/sources";
import { NAMESPACE_PREFIX, SETUP_TIMEOUT_MS, TEARDOWN_TIMEOUT_MS } from "./support/stackSuite";

const ZONE = DEFAULT_ZONES[0];
const SHARED_OWNER = "vanixiets-cluster";
const GONE_OWNER = "decommissioned-cluster";

interface FleetCluster {
  stack: "hel1" | "fsn1";
  namespace: string;
  cluster: Cluster;
  kubeConfig: KubeConfig;
  /** Set as `kubernetes:kubeconfig` for the second cluster; the first is the ambient KUBECONFIG. */
  kubeconfigPath?: string;
  operatorAgePublicKey: string;
  /** The Services the cluster declares: name → hostname and address. */
  services: Record<string, { hostname: string; ip: string }>;
  pods?: ExternalDnsPods;
}

let problem: string | undefined;
let env: E2eEnvironment;
let api: CloudflareApi;
let hel1: FleetCluster;
let fsn1: FleetCluster;
/** The fleet's project: hel1's checkout, which takes fsn1's stack file in the second test. */
let fleet: ScratchProject;
/** fsn1's own checkout, which shares the backend. */
let fsn1Checkout: ScratchProject | undefined;

function stackConfig(member: FleetCluster, owner: string): Record<string, ConfigValue> {
  return {
    "cloudflare:baseUrl": api.baseUrlForProvider,
    "cloudflare:apiToken": secret(api.bootstrapToken),
    ...(member.kubeconfigPath && { "kubernetes:kubeconfig": member.kubeconfigPath }),
    "external-dns:zones": [{ name: ZONE.name, id: ZONE.id }],
    "external-dns:domainFilters": [`${member.stack}.example.com`],
    "external-dns:sources": ["service"],
    "external-dns:txtOwnerId": owner,
    "external-dns:interval": "2s",
    "external-dns:sopsAgeRecipients": [member.operatorAgePublicKey],
    "external-dns:chartRepository": env.chartRepository,
    "external-dns:namespace": member.namespace,
    "external-dns:tokenAllowedCidrs": ["127.0.0.1/32"],
  };
}

function kubeConfigOf(path: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
}

beforeAll(async () => {
  try {
    const check = await checkEnvironment(["external-dns"]);
    if (!check.ok) {
      problem = describeProblems(check.problems);
      return;
    }
    env = check.environment;
    const second = checkSecondCluster(env);
    if (!second.ok) {
      problem = describeProblems(second.problems);
      return;
    }
    const secondCluster: SecondCluster = second.cluster;
    const firstConfig = new KubeConfig();
    firstConfig.loadFromDefault();
    const secondConfig = kubeConfigOf(secondCluster.kubeconfig);
    hel1 = {
      stack: "hel1",
      namespace: `${NAMESPACE_PREFIX}hel1`,
      cluster: new Cluster(firstConfig),
      kubeConfig: firstConfig,
      operatorAgePublicKey: env.operatorAgePublicKey,
      services: {
        web: { hostname: "web.hel1.example.com", ip: "203.0.113.10" },
        api: { hostname: "api.hel1.example.com", ip: "203.0.113.11" },
      },
    };
    fsn1 = {
      stack: "fsn1",
      namespace: `${NAMESPACE_PREFIX}fsn1`,
      cluster: new Cluster(secondConfig),
      kubeConfig: secondConfig,
      kubeconfigPath: secondCluster.kubeconfig,
      operatorAgePublicKey: secondCluster.operatorAgePublicKey,
      services: { web: { hostname: "web.fsn1.example.com", ip: "203.0.113.20" } },
    };
    for (const member of [hel1, fsn1]) {
      const unusable = await member.cluster.problem();
      if (unusable) {
        problem = describeProblems([`${member.stack}: ${unusable}`]);
        return;
      }
      await member.cluster.deleteNamespace(member.namespace);
      await member.cluster.deleteChartClusterObjects((ns) => ns.startsWith(NAMESPACE_PREFIX));
    }
    await hel1.cluster.deleteNamespace(`${NAMESPACE_PREFIX}nbg1`);
    api = await startCloudflareApi();
    // A cluster decommissioned long ago left a record and its ownership record behind.
    api.state.seedRecords(ZONE.id, [
      { type: "A", name: "old", content: "198.51.100.9" },
      {
        type: "TXT",
        name: "externaldns-a.old",
        content: `"heritage=external-dns,external-dns/owner=${GONE_OWNER},external-dns/resource=service/shop/old"`,
      },
    ]);
    fleet = new ScratchProject("hel1");
    fsn1Checkout = new ScratchProject("fsn1", { backendDir: fleet.backendDir });
    await Promise.all([
      fleet.init(stackConfig(hel1, SHARED_OWNER)),
      fsn1Checkout.init(stackConfig(fsn1, SHARED_OWNER)),
    ]);
  } catch (error) {
    problem = `setting up the fleet failed: ${(error as Error).stack ?? error}`;
  }
}, SETUP_TIMEOUT_MS);

beforeEach(() => {
  if (problem) throw new Error(problem);
});

afterAll(async () => {
  const failures: string[] = [];
  await Promise.all([hel1?.pods?.close(), fsn1?.pods?.close()]);
  if (fleet && !problem) {
    // fsn1's stack file joins the fleet's project in the second test; before that, it is only in its checkout.
    if (fsn1Checkout && !existsSync(join(fleet.dir, "Pulumi.fsn1.yaml")))
      copyFileSync(join(fsn1Checkout.dir, "Pulumi.fsn1.yaml"), join(fleet.dir, "Pulumi.fsn1.yaml"));
    const destroyed = await Promise.all(
      ["hel1", "fsn1"].map((stack) => fleet.withStack(stack).destroy({ timeoutMs: 120_000 })),
    );
    for (const run of destroyed) if (run.exitCode !== 0) failures.push(describeRun(run));
  }
  for (const member of [hel1, fsn1]) {
    if (!member) continue;
    for (const namespace of [member.namespace, `${NAMESPACE_PREFIX}nbg1`])
      await member.cluster
        .deleteNamespace(namespace)
        .catch((error) => failures.push(String(error)));
    await member.cluster
      .deleteChartClusterObjects((ns) => ns === member.namespace)
      .catch((error) => failures.push(String(error)));
  }
  await api?.close();
  if (failures.length === 0) {
    fleet?.remove();
    fsn1Checkout?.remove();
  } else if (fleet) failures.push(`the scratch project is kept in ${fleet.dir}`);
  if (failures.length > 0) throw new Error(`cleaning up the fleet:\n${failures.join("\n")}`);
}, TEARDOWN_TIMEOUT_MS);

/** Every record of the zone as one line each, sorted: the snapshot the samples compare. */
function zoneRecords(): DnsRecord[] {
  return [...api.state.records(ZONE.id)].sort((a, b) =>
    `${a.name} ${a.type}`.localeCompare(`${b.name} ${b.type}`),
  );
}

function ownerAt(txtName: string): string | undefined {
  const [record] = api.state.recordsNamed(txtName, [ZONE.id]);
  return record && ownershipOwner(record.content);
}

function startPods(member: FleetCluster): ExternalDnsPods {
  const pods = new ExternalDnsPods({
    cluster: member.cluster,
    kubeConfig: member.kubeConfig,
    namespace: member.namespace,
    cloudflareBaseUrl: api.url,
    logDir: join(fleet.dir, "logs", `external-dns-${member.stack}`),
  });
  pods.start();
  member.pods = pods;
  return pods;
}

function pods(member: FleetCluster): ExternalDnsPods {
  if (!member.pods)
    throw new Error(`external-dns of ${member.stack} must be running (see the first test)`);
  return member.pods;
}

/** The id of the token the stand-in minted for a stack (its name carries the stack). */
function tokenIdOf(stack: string): string {
  const token = api.state
    .tokens()
    .find((candidate) => candidate.name.startsWith(`external-dns ${stack} `));
  if (!token)
    throw new Error(`no token minted for ${stack}: ${JSON.stringify(api.state.tokens())}`);
  return token.id;
}

function failedRequests(since: number): string[] {
  return api.requests.all
    .slice(since)
    .filter((request) => request.tokenId !== "bootstrap" && request.status >= 400)
    .map(
      (request) => `${request.method} ${request.path} ${request.status} (token ${request.tokenId})`,
    );
}

function runFleet(args: string[]): Promise<RunResult> {
  return fleet.run("npm", ["run", "-s", "fleet", "--", ...args]);
}

const ownershipName = (hostname: string) => `externaldns-a.${hostname}`;

describe("a fleet of two clusters sharing example.com", () => {
  it("under the seed's shared owner, each cluster makes the records of its own names, and only those", async () => {
    const ups = await Promise.all([fleet.up(), fsn1Checkout?.up() as Promise<RunResult>]);
    for (const up of ups) expect(up.exitCode, describeRun(up)).toBe(0);
    for (const member of [hel1, fsn1]) {
      await availableDeployment(member.cluster, member.namespace);
      startPods(member);
      for (const [name, service] of Object.entries(member.services))
        await loadBalancerService(member.cluster, member.namespace, name, service.hostname, [
          { ip: service.ip },
        ]);
    }
    for (const member of [hel1, fsn1])
      for (const service of Object.values(member.services))
        await waitFor(`the records of ${service.hostname}`, 90_000, async () =>
          ownerAt(ownershipName(service.hostname)) === SHARED_OWNER &&
          api.state.recordsNamed(service.hostname, [ZONE.id])[0]?.content === service.ip
            ? true
            : undefined,
        );
    for (const member of [hel1, fsn1]) {
      const written = api.requests
        .filter({ tokenId: tokenIdOf(member.stack) })
        .flatMap((request) => request.recordNames ?? []);
      expect(written.length, `${member.stack} wrote its records`).toBeGreaterThan(0);
      expect(written.filter((name) => !name.endsWith(`${member.stack}.example.com`))).toEqual([]);
      expect(pods(member).crashes()).toEqual([]);
    }
    expect(failedRequests(0)).toEqual([]);
  });

  it("in one project, npm run fleet refuses the shared owner on the shared zone", async () => {
    copyFileSync(
      join(fsn1Checkout?.dir ?? "", "Pulumi.fsn1.yaml"),
      join(fleet.dir, "Pulumi.fsn1.yaml"),
    );
    const run = await runFleet([]);
    expect(run.exitCode, run.output).toBe(1);
    expect(run.stdout).toContain(`  ✗ ${SHARED_OWNER}: stacks fsn1 and hel1 on example.com`);
    expect(run.stdout).toContain(
      "none: no two stacks admit the same hostname in a zone they share",
    );
  });

  it("each cluster renames its records to its own owner: no record deleted or changed, no write failed", async () => {
    for (const member of [hel1, fsn1])
      await fleet.withStack(member.stack).configure({
        "external-dns:txtOwnerId": member.stack,
        "external-dns:migrateFromTxtOwnerId": SHARED_OWNER,
      });
    const check = await runFleet(["--json"]);
    expect(check.exitCode, check.output).toBe(0);
    expect((JSON.parse(check.stdout) as FleetReport).errors).toEqual([]);

    const preview = await fleet.preview();
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(preview.output).toMatch(
      /\+ +[│├└─ ]*vanixiets:dns:TxtOwnerRename +external-dns-txt-owner-rename +create/,
    );
    expect(preview.output).toContain(
      `Renaming this cluster's ownership records from owner ${SHARED_OWNER} to hel1 (external-dns:migrateFromTxtOwnerId)`,
    );

    const before = zoneRecords();
    const samples: DnsRecord[][] = [];
    const sampler = setInterval(() => samples.push(zoneRecords()), 100);
    const since = api.requests.all.length;
    const processesBefore = [hel1, fsn1].map((member) => pods(member).history.length);
    const upsStarted = Date.now();
    const ups = await Promise.all(["hel1", "fsn1"].map((stack) => fleet.withStack(stack).up()));
    clearInterval(sampler);
    const upsMs = Date.now() - upsStarted;
    for (const up of ups) expect(up.exitCode, describeRun(up)).toBe(0);
    const [hel1Up, fsn1Up] = ups;
    expect(hel1Up.output).toContain(
      `example.com: externaldns-a.web.hel1.example.com (web.hel1.example.com): owner ${SHARED_OWNER} → hel1`,
    );
    expect(hel1Up.output).toContain(
      `Renamed the ownership records from owner ${SHARED_OWNER} to hel1: 2 record(s) of the 2 hostname(s) this cluster declares and its filters admit.`,
    );
    expect(fsn1Up.output).toContain(
      `Renamed the ownership records from owner ${SHARED_OWNER} to fsn1: 1 record(s) of the 1 hostname(s) this cluster declares and its filters admit.`,
    );
    for (const stack of ["hel1", "fsn1"]) {
      const token = api.state.tokenValue(tokenIdOf(stack)) ?? "";
      for (const up of ups) expect(up.output).not.toContain(token);
    }

    // Every sample holds every record, with the same content but for the owner of ownership records,
    // which moves once from the shared owner to the cluster's own.
    const shape = (records: DnsRecord[]) =>
      records.map((record) =>
        record.type === "TXT"
          ? `TXT ${record.name} ${record.content.replace(/external-dns\/owner=[^,"]*/, "external-dns/owner=*")}`
          : `${record.type} ${record.name} ${record.content}`,
      );
    // A sample at least every 200 ms of the ups (one every 100 ms, with room for a busy machine).
    expect(samples.length).toBeGreaterThanOrEqual(Math.floor(upsMs / 200));
    const changed = samples.filter(
      (sample) => shape(sample).join("\n") !== shape(before).join("\n"),
    );
    expect(
      changed.map((sample) => shape(sample).join("; ")),
      "samples that differ from the start",
    ).toEqual([]);
    const owners = (records: DnsRecord[], hostname: string) =>
      ownershipOwner(
        records.find((record) => record.name === ownershipName(hostname))?.content ?? "",
      );
    for (const member of [hel1, fsn1])
      for (const service of Object.values(member.services)) {
        const seen = samples.map((sample) => owners(sample, service.hostname));
        const firstOwn = seen.indexOf(member.stack);
        expect(firstOwn, `${service.hostname} was renamed`).toBeGreaterThan(-1);
        expect(seen.slice(0, firstOwn).every((owner) => owner === SHARED_OWNER)).toBe(true);
        expect(seen.slice(firstOwn).every((owner) => owner === member.stack)).toBe(true);
      }
    expect(ownerAt("externaldns-a.old.example.com")).toBe(GONE_OWNER);
    expect(failedRequests(since)).toEqual([]);

    const afterRename = api.requests.all.length;
    for (const [index, member] of [hel1, fsn1].entries()) {
      expect(pods(member).history.length, `${member.stack} rolled once`).toBe(
        processesBefore[index] + 1,
      );
      expect(pods(member).maxConcurrent(), `${member.stack}: external-dns processes at once`).toBe(
        1,
      );
      expect(pods(member).current[0]?.args).toContain(`--txt-owner-id=${member.stack}`);
      await pods(member).waitForLines(UP_TO_DATE, 2);
      expect(pods(member).crashes()).toEqual([]);
      expect(pods(member).errorLines()).toEqual([]);
    }
    // On the new owner, each external-dns owns its records again and finds them up to date: no write at all.
    const writes = api.requests.all
      .slice(afterRename)
      .filter((request) => DNS_WRITE_KINDS.has(request.kind));
    expect(writes.map((request) => `${request.method} ${request.path}`)).toEqual([]);
  });

  it("deleting a Service of one cluster deletes that cluster's record only", async () => {
    const others = zoneRecords().filter((record) => !record.name.includes("api.hel1"));
    await hel1.cluster.delete(serviceRef(hel1.namespace, "api"));
    await waitFor("external-dns of hel1 to delete api.hel1.example.com", 60_000, async () =>
      zoneRecords().some((record) => record.name.includes("api.hel1")) ? undefined : true,
    );
    expect(zoneRecords()).toEqual(others);
    delete hel1.services.api;
  });

  it("npm run fleet -- --live shows each owner's records, and removes a decommissioned cluster's", async () => {
    const tokenFile = join(fleet.dir, "cloudflare-token");
    writeFileSync(tokenFile, api.state.mintDnsToken("fleet cleanup", [ZONE.id]).value, {
      mode: 0o600,
    });
    const live = await runFleet(["--live", "--json", "--cloudflare-token-file", tokenFile]);
    expect(live.exitCode, live.output).toBe(0);
    const report = JSON.parse(live.stdout) as LiveReport;
    expect(
      report.deployed.map(({ stack, ownerId, zoneIds }) => ({ stack, ownerId, zoneIds })),
    ).toEqual([
      { stack: "fsn1", ownerId: "fsn1", zoneIds: [ZONE.id] },
      { stack: "hel1", ownerId: "hel1", zoneIds: [ZONE.id] },
    ]);
    const [zone] = report.zones;
    expect(zone.zoneName).toBe("example.com");
    expect(
      zone.owners.map((owner) => ({
        owner: owner.owner,
        declaredBy: owner.declaredBy.map((d) => `${d.stack}: ${d.as}`),
        hosts: owner.entries.map(
          (entry) => `${entry.host} ${entry.owned.map((r) => r.type).join(",")}`,
        ),
      })),
    ).toEqual([
      { owner: GONE_OWNER, declaredBy: [], hosts: ["old.example.com A"] },
      {
        owner: "fsn1",
        declaredBy: ["fsn1: deployed owner", "fsn1: owner in its stack file"],
        hosts: ["web.fsn1.example.com A"],
      },
      {
        owner: "hel1",
        declaredBy: ["hel1: deployed owner", "hel1: owner in its stack file"],
        hosts: ["web.hel1.example.com A"],
      },
    ]);
    expect(report.undeclaredOwners).toEqual([GONE_OWNER]);
    const text = await runFleet(["--live", "--cloudflare-token-file", tokenFile]);
    expect(text.stdout).toContain(`npm run fleet -- --live --remove-owner ${GONE_OWNER}`);

    const refused = await runFleet([
      "--live",
      "--remove-owner",
      "hel1",
      "--yes",
      "--cloudflare-token-file",
      tokenFile,
    ]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("Not removing owner hel1: stack hel1 (deployed owner)");
    const dryRun = await runFleet([
      "--live",
      "--remove-owner",
      GONE_OWNER,
      "--cloudflare-token-file",
      tokenFile,
    ]);
    expect(dryRun.exitCode, dryRun.output).toBe(0);
    expect(dryRun.stdout).toContain(`Would delete 2 record(s) of owner ${GONE_OWNER}`);
    expect(api.state.recordsNamed("old.example.com", [ZONE.id])).toHaveLength(1);
    const kept = zoneRecords().filter((record) => !record.name.includes("old.example.com"));
    const removed = await runFleet([
      "--live",
      "--remove-owner",
      GONE_OWNER,
      "--yes",
      "--cloudflare-token-file",
      tokenFile,
    ]);
    expect(removed.exitCode, removed.output).toBe(0);
    expect(removed.stdout).toContain(`Deleted 2 record(s) of owner ${GONE_OWNER}`);
    expect(zoneRecords()).toEqual(kept);
  });

  it("a third stack with hel1's owner is refused by npm run fleet and pulumi preview, with nothing created; an overlapping filter is a warning", async () => {
    const nbg1Cluster: FleetCluster = {
      ...hel1,
      stack: "nbg1" as FleetCluster["stack"],
      namespace: `${NAMESPACE_PREFIX}nbg1`,
    };
    const nbg1 = fleet.withStack("nbg1");
    // Every minute, as usual: the fleet's API use stays below Cloudflare's limit (hel1 and fsn1 reconcile every 2 s).
    await nbg1.init({ ...stackConfig(nbg1Cluster, "hel1"), "external-dns:interval": "1m" });
    const refusedFleet = await runFleet([]);
    expect(refusedFleet.exitCode).toBe(1);
    expect(refusedFleet.stdout).toContain("  ✗ hel1: stacks hel1 and nbg1 on example.com");

    const tokensBefore = api.state.tokens().length;
    const refused = await nbg1.preview();
    expect(refused.exitCode, describeRun(refused)).not.toBe(0);
    expect(refused.output).toContain(
      "stack config conflicts with another stack of this project (1 problem):",
    );
    expect(refused.output).toContain(
      "external-dns:txtOwnerId: is also the owner ID of stack hel1 (",
    );
    expect(refused.output, "no stack trace").not.toMatch(/at .*\.ts:\d+/);
    expect(api.state.tokens()).toHaveLength(tokensBefore);
    expect(
      await hel1.cluster.get({
        apiVersion: "v1",
        plural: "namespaces",
        name: nbg1Cluster.namespace,
      }),
    ).toBeUndefined();

    await nbg1.configure({
      "external-dns:txtOwnerId": "nbg1",
      "external-dns:domainFilters": ["example.com"],
    });
    const warned = await runFleet([]);
    expect(warned.exitCode, warned.output).toBe(0);
    for (const other of ["fsn1", "hel1"])
      expect(warned.stdout).toContain(
        `  ! example.com: ${other} and nbg1 both admit names at or under ${other}.example.com`,
      );
    const preview = await nbg1.preview();
    expect(preview.exitCode, describeRun(preview)).toBe(0);
    expect(preview.output.replace(/\s+/g, " ")).toContain(
      "external-dns:domainFilters: this stack and stack hel1 (",
    );
    expect(preview.output.replace(/\s+/g, " ")).toContain(
      "both admit names at or under hel1.example.com in zone example.com",
    );
    const removed = await nbg1.pulumi(["stack", "rm", "nbg1", "--yes"]);
    expect(removed.exitCode, describeRun(removed)).toBe(0);
  });
});
