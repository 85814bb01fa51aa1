/**
 * A real DNS server for tests: dnsmasq (Debian's dnsmasq-base) on loopback,
 * serving the records a test gives it, authoritative for its zones.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DnsRecords {
  zones: string[];
  a?: [name: string, address: string][];
  cname?: [alias: string, target: string][];
  txt?: [name: string, text: string][];
}

export interface DnsServer {
  address: string;
  stop(): void;
}

/** dnsmasq lives in /usr/sbin, which a non-root PATH may lack. */
export function dnsmasqPath(): string | undefined {
  const found = spawnSync("/bin/sh", ["-c", "command -v dnsmasq"], {
    encoding: "utf8",
  }).stdout.trim();
  if (found) return found;
  return existsSync("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : undefined;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function configFile(records: DnsRecords): string {
  const quote = (text: string) => `"${text.replaceAll('"', '\\"')}"`;
  const lines = [
    ...records.zones.map((zone) => `local=/${zone}/`),
    ...(records.a ?? []).map(([name, address]) => `host-record=${name},${address}`),
    ...(records.cname ?? []).map(([alias, target]) => `cname=${alias},${target}`),
    ...(records.txt ?? []).map(([name, text]) => `txt-record=${name},${quote(text)}`),
  ];
  const file = join(mkdtempSync(join(tmpdir(), "dnsmasq-")), "dnsmasq.conf");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

export async function startDnsServer(records: DnsRecords): Promise<DnsServer> {
  const binary = dnsmasqPath();
  if (!binary)
    throw new Error(
      "dnsmasq is required by these tests; install it with: apt-get install dnsmasq-base",
    );
  const port = await freeUdpPort();
  const child: ChildProcess = spawn(
    binary,
    [
      "--keep-in-foreground",
      `--conf-file=${configFile(records)}`,
      "--no-resolv",
      "--no-hosts",
      "--pid-file=",
      "--bind-interfaces",
      "--listen-address=127.0.0.1",
      `--port=${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
  return { address: `127.0.0.1:${port}`, stop: () => child.kill() };
}
