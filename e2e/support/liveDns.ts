/**
 * What a stack's tests need once external-dns really runs: the chart's pod as
 * an external-dns process (externalDns.ts), a DNS server answering from the
 * Cloudflare stand-in (dnsServer.ts), the program's own `npm run plan` and
 * `npm run verify` in the scratch project, and ways to wait for reconciles.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { Plan } from "../../plan/report";
import type { RecordedRequest } from "./cloudflareApi";
import { waitFor } from "./cluster";
import { type StandInDnsServer, startStandInDns } from "./dnsServer";
import { type ExternalDnsOptions, ExternalDnsPods, sha256 } from "./externalDns";
import { secretToken } from "./objects";
import { describeRun, type RunResult } from "./project";
import type { StackSuite } from "./stackSuite";

/** external-dns's line for a reconcile that found nothing to change (controller/controller.go). */
export const UP_TO_DATE = /All records are already up to date/;

export interface LiveDns {
  readonly pods: ExternalDnsPods;
  readonly dns: StandInDnsServer;
  /** The id (at the stand-in) of the token the running process was given. */
  runningTokenId(): string;
  /** Waits until `count` reconciles have started and ended after this call. */
  waitForReconciles(count: number, zoneId: string, timeoutMs?: number): Promise<void>;
  /** `npm run plan -- <stack> <args> --json` in the scratch project. */
  plan(args?: string[]): Promise<Plan>;
  /** `npm run verify -- <stack> --json` with the resolver and the token the Secret holds. */
  verify(): Promise<{ run: RunResult; results: VerifyResult[] }>;
  /** Requests made with minted (not bootstrap) tokens, from `since` (an index into the log). */
  externalDnsRequests(since?: number): RecordedRequest[];
}

export interface VerifyResult {
  area: string;
  check: string;
  status: "pass" | "warn" | "fail";
  detail: string;
  hint?: string;
}

/** Registers the cleanup; call `start` once the release has pods (e.g. after the first `pulumi up`). */
export function useLiveDns(suite: StackSuite): {
  start(runtimes?: ExternalDnsOptions["runtimes"]): Promise<LiveDns>;
} {
  let pods: ExternalDnsPods | undefined;
  let dns: StandInDnsServer | undefined;

  afterAll(async () => {
    await pods?.close();
    await dns?.close();
  });

  const start = async (runtimes?: ExternalDnsOptions["runtimes"]): Promise<LiveDns> => {
    dns = await startStandInDns(suite.api.state);
    const running = new ExternalDnsPods({
      cluster: suite.cluster,
      namespace: suite.namespace,
      cloudflareBaseUrl: suite.api.url,
      logDir: join(suite.project.dir, "logs", "external-dns"),
      runtimes,
    });
    pods = running;
    running.start();
    const server = dns;
    return {
      pods: running,
      dns: server,
      runningTokenId: () => runningTokenId(suite, running),
      waitForReconciles: (count, zoneId, timeoutMs) =>
        waitForReconciles(suite, running, count, zoneId, timeoutMs),
      plan: (args = []) => plan(suite, args),
      verify: () => verify(suite, server),
      externalDnsRequests: (since = 0) =>
        suite.api.requests.all.slice(since).filter((request) => request.tokenId !== "bootstrap"),
    };
  };
  return { start };
}

function runningTokenId(suite: StackSuite, pods: ExternalDnsPods): string {
  const [current] = pods.current;
  const token = suite.api.state
    .tokens()
    .find((candidate) => sha(suite.api.state.tokenValue(candidate.id)) === current?.tokenSha256);
  if (!token) throw new Error("the running external-dns holds no token the stand-in minted");
  return token.id;
}

function sha(value: string | undefined): string | undefined {
  return value === undefined ? undefined : sha256(value);
}

/**
 * Every reconcile reads each zone once (GET /zones/{id}) before listing its
 * records; `count + 1` more reads of `zoneId` mean `count` whole reconciles
 * ran after this call, and the next has begun.
 */
async function waitForReconciles(
  suite: StackSuite,
  pods: ExternalDnsPods,
  count: number,
  zoneId: string,
  timeoutMs = 60_000,
): Promise<void> {
  const reads = () =>
    suite.api.requests.count(
      (request) =>
        request.kind === "zones.get" &&
        request.zoneId === zoneId &&
        request.tokenId !== "bootstrap",
    );
  const target = reads() + count + 1;
  await waitFor(
    `${count} external-dns reconcile(s)`,
    timeoutMs,
    async () => (reads() >= target ? true : undefined),
    async () =>
      `${reads()} of ${target} zone reads; last external-dns lines:\n${pods.lines.slice(-8).join("\n")}`,
  );
}

async function plan(suite: StackSuite, args: string[]): Promise<Plan> {
  const run = await suite.project.run("npm", [
    "run",
    "-s",
    "plan",
    "--",
    suite.stack,
    ...args,
    "--json",
  ]);
  if (run.exitCode !== 0) throw new Error(describeRun(run));
  return JSON.parse(run.stdout) as Plan;
}

/**
 * The verify a user runs: the stack's config (whose `cloudflare:baseUrl` names
 * the stand-in), the ambient KUBECONFIG, `--resolver` for the DNS server, and
 * the token external-dns uses, from the Secret, and the bootstrap token (for
 * the leftover-token check), each in a file only we can read.
 */
async function verify(
  suite: StackSuite,
  dns: StandInDnsServer,
): Promise<{ run: RunResult; results: VerifyResult[] }> {
  const tokenFile = join(suite.project.dir, "cloudflare-token");
  writeFileSync(tokenFile, (await secretToken(suite.cluster, suite.namespace)) ?? "", {
    mode: 0o600,
  });
  const bootstrapFile = join(suite.project.dir, "cloudflare-bootstrap-token");
  writeFileSync(bootstrapFile, suite.api.bootstrapToken, { mode: 0o600 });
  return runVerify(suite, dns, [
    "--cloudflare-token-file",
    tokenFile,
    "--bootstrap-token-file",
    bootstrapFile,
  ]);
}

/** `npm run verify -- <stack> --json --resolver <dns> <args>` in the scratch project, its results parsed. */
export async function runVerify(
  suite: StackSuite,
  dns: StandInDnsServer,
  args: string[] = [],
): Promise<{ run: RunResult; results: VerifyResult[] }> {
  const run = await suite.project.run("npm", [
    "run",
    "-s",
    "verify",
    "--",
    suite.stack,
    "--json",
    "--resolver",
    dns.address,
    ...args,
  ]);
  let results: VerifyResult[];
  try {
    results = (JSON.parse(run.stdout) as { results: VerifyResult[] }).results;
  } catch {
    throw new Error(`verify printed no JSON: ${describeRun(run)}\n${run.output}`);
  }
  return { run, results };
}

/** One line per result, for assertions that show the whole verification when they fail. */
export function summarize(results: VerifyResult[]): string[] {
  return results.map((result) => `${result.status} ${result.area}: ${result.check}`);
}
