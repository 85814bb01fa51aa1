/**
 * `npm run bench -- [--runs N] [--write-docs]`: how fast a user gets an
 * answer, against a one-resource TypeScript program (one ConfigMap) on the
 * same engine, providers and node_modules, alternating, median of N runs:
 *
 * - the first `pulumi preview` of a two-zone stack (this program) and of the
 *   one-resource program, both type-checking off (as Pulumi.yaml configures it);
 * - a `pulumi preview` refused for an invalid `policy`;
 * - one program evaluation under Pulumi's mocks, from process start to the
 *   last registration (bench/mockProgram.ts);
 * - `npm test`, once, wall time.
 *
 * The real CLI part needs what the e2e suite needs (e2e/support/environment.ts:
 * pulumi with the providers, KUBECONFIG, the chart repository, sops); the
 * Cloudflare API is the e2e suite's stand-in. `--write-docs` puts the table,
 * with the machine it came from, into docs/performance.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startCloudflareApi } from "../e2e/support/cloudflareApi";
import { checkEnvironment, describeProblems } from "../e2e/support/environment";
import { ScratchProject } from "../e2e/support/project";
import { minimalConfig } from "../e2e/support/stackConfig";
import { PROJECT_ROOT } from "../stacks/stackFiles";
import { writeBenchTable } from "./docs";

interface Figure {
  what: string;
  thisProgram: number[];
  oneResource?: number[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A one-resource program beside the project: one ConfigMap, the same node_modules and runtime options. */
function oneResourceProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-one-resource-"));
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    "name: one-resource\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n    tsconfig: tsconfig.runtime.json\n",
  );
  writeFileSync(join(dir, "package.json"), '{ "name": "one-resource", "main": "index.ts" }\n');
  const { compilerOptions } = JSON.parse(readFileSync(join(PROJECT_ROOT, "tsconfig.json"), "utf8"));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions, files: ["index.ts"] }),
  );
  writeFileSync(
    join(dir, "tsconfig.runtime.json"),
    JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noCheck: true } }),
  );
  writeFileSync(
    join(dir, "index.ts"),
    'import * as k8s from "@pulumi/kubernetes";\n\nnew k8s.core.v1.ConfigMap("one", { data: { key: "value" } });\n',
  );
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
  // What a ScratchProject keeps beside the program: its file backend and the runs' logs.
  mkdirSync(join(dir, ".state"));
  mkdirSync(join(dir, "logs"));
  return dir;
}

async function timed(
  run: () => Promise<{ exitCode: number | null; output: string }>,
  expectOk: boolean,
) {
  const started = Date.now();
  const result = await run();
  const ms = Date.now() - started;
  if ((result.exitCode === 0) !== expectOk)
    throw new Error(`unexpected exit ${result.exitCode}:\n${result.output.slice(-3000)}`);
  return ms;
}

function mockRun(which: "this" | "one"): number {
  const run = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "bench/mockProgram.ts", which],
    { cwd: PROJECT_ROOT, encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`bench/mockProgram.ts ${which} failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}

function npmTest(): number {
  const started = Date.now();
  const run = spawnSync("npm", ["test", "--silent"], { cwd: PROJECT_ROOT, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`npm test failed:\n${run.stdout.slice(-3000)}`);
  return Date.now() - started;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      "write-docs": { type: "boolean", default: false },
      "skip-npm-test": { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  const check = await checkEnvironment();
  if (!check.ok) throw new Error(describeProblems(check.problems));
  const api = await startCloudflareApi();
  const stack = "bench";
  const project = new ScratchProject(stack);
  const one = new ScratchProject("one-resource", { dir: oneResourceProject() });
  const refused = project.withStack("refused");
  try {
    const config = minimalConfig({ stack, namespace: "bench", env: check.environment, api });
    await project.init(config);
    await refused.init({ ...config, "external-dns:policy": "delete" });
    await one.init({});
    const previews: Figure = { what: "first `pulumi preview`", thisProgram: [], oneResource: [] };
    const refusals: Figure = {
      what: "`pulumi preview` refused for an invalid `policy`",
      thisProgram: [],
    };
    const mocks: Figure = {
      what: "evaluation under mocks (process start to last registration)",
      thisProgram: [],
      oneResource: [],
    };
    for (let run = 0; run < runs; run++) {
      previews.thisProgram.push(await timed(() => project.preview(), true));
      previews.oneResource?.push(await timed(() => one.preview(), true));
      refusals.thisProgram.push(await timed(() => refused.preview(), false));
      mocks.thisProgram.push(mockRun("this"));
      mocks.oneResource?.push(mockRun("one"));
    }
    const figures = [previews, refusals, mocks];
    if (!values["skip-npm-test"]) figures.push({ what: "`npm test`", thisProgram: [npmTest()] });
    report(figures, runs, Boolean(values["write-docs"]));
  } finally {
    await api.close();
    project.remove();
    one.remove();
  }
}

function report(figures: readonly Figure[], runs: number, writeDocs: boolean): void {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}, load average ${loadavg()[0].toFixed(2)} at the end`;
  const rows = figures.map((figure) => {
    const mine = median(figure.thisProgram);
    const floor = figure.oneResource ? median(figure.oneResource) : undefined;
    return `| ${figure.what} | ${seconds(mine)} | ${floor === undefined ? "—" : seconds(floor)} | ${floor === undefined ? "—" : (mine / floor).toFixed(2)} |`;
  });
  const table = [
    `Measured on ${machine}; median of ${runs} alternating runs (\`npm test\`: one run).`,
    "",
    "| | this program | one-resource program | ratio |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  console.log(table);
  if (writeDocs) writeBenchTable("performance.md", "bench:feedback", table);
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.message}`);
  process.exit(1);
});
