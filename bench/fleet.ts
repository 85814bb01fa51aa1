/**
 * `npm run bench:fleet -- [--stacks N] [--runs N] [--write-docs]`: times
 * `npm run fleet` over N generated stack files (default 50), as a user runs it
 * (a new Node process each run, the TypeScript loader included), and prints the
 * median, min and max of the runs. `--write-docs` puts the figures, with the
 * machine they came from, into docs/fleet.md.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { PROJECT_ROOT } from "../stacks/stackFiles";
import { writeBenchTable } from "./docs";

const AGE_KEY = "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc";
const ZONES = ["example.com", "example.org", "example.net", "example.io"];

/** A fleet of `count` clusters: each its own owner and names in two zones; every third rotates, every fifth is account-owned. */
function generateFleet(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: external-dns\nruntime: nodejs\n");
  for (let index = 0; index < count; index++) {
    const cluster = `c${index}`;
    const zones = [ZONES[index % ZONES.length], ZONES[(index + 1) % ZONES.length]];
    const config: Record<string, unknown> = {
      "external-dns:zones": zones,
      "external-dns:domainFilters": zones.map((zone) => `${cluster}.${zone}`),
      "external-dns:excludeDomains": [`internal.${cluster}.${zones[0]}`],
      "external-dns:txtOwnerId": cluster,
      "external-dns:sopsAgeRecipients": [AGE_KEY],
      "external-dns:sources": ["service", "ingress", "gateway-httproute"],
      "external-dns:interval": "5m",
    };
    if (index % 3 === 0) config["external-dns:tokenRotationDays"] = 90;
    if (index % 5 === 0) {
      config["external-dns:tokenOwner"] = "account";
      config["external-dns:accountId"] = "9a7806061c88ada191ed06f989cc3dac";
    }
    writeFileSync(join(dir, `Pulumi.${cluster}.yaml`), stringify({ config }));
  }
  return dir;
}

function timeRun(dir: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "fleet/cli.ts", "--dir", dir, "--json"],
    { cwd: PROJECT_ROOT, encoding: "utf8" },
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0 && run.status !== 1) throw new Error(`npm run fleet failed: ${run.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      stacks: { type: "string", default: "50" },
      runs: { type: "string", default: "5" },
      "write-docs": { type: "boolean", default: false },
    },
  });
  const stacks = Number(values.stacks);
  const runs = Number(values.runs);
  const dir = generateFleet(stacks);
  try {
    timeRun(dir); // warm the file cache; not counted
    const times = Array.from({ length: runs }, () => timeRun(dir));
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`;
    const row = `| ${stacks} | ${seconds(median(times))} | ${seconds(Math.min(...times))} | ${seconds(Math.max(...times))} |`;
    console.log(`npm run fleet over ${stacks} generated stacks, ${runs} runs on ${machine}:`);
    console.log(
      `median ${seconds(median(times))}, min ${seconds(Math.min(...times))}, max ${seconds(Math.max(...times))}`,
    );
    if (values["write-docs"]) {
      const table = [
        `Measured on ${machine}, ${runs} runs:`,
        "",
        "| stacks | median | min | max |",
        "| --- | --- | --- | --- |",
        row,
      ].join("\n");
      writeBenchTable("fleet.md", "bench:fleet", table);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
