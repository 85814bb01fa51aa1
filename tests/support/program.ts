/**
 * Runs the whole program (index.ts) under Pulumi's mocks with a stack's config
 * and the test world, the way `pulumi up` would run it.
 */
import {
  type ConstructedResource,
  finishOffline,
  type OfflineRecord,
  type OfflineRun,
  type OfflineStart,
  type ProgramExports,
  runOffline,
  startOffline,
  startOfflineProgram,
} from "../../plan/offline";
import { type MockOptions, testWorld } from "./mocks";

export interface ProgramRun {
  record: OfflineRecord;
  constructed: ConstructedResource[];
  exports: ProgramExports;
}

/** The types of the resources registered besides the stack and the program's components: what `pulumi up` would create. */
export function createdResourceTypes(record: OfflineRecord): string[] {
  return record.resources
    .map((resource) => resource.type)
    .filter((type) => !type.startsWith("pulumi:") && !type.startsWith("vanixiets:"));
}

export interface FailedProgramRun {
  record: OfflineRecord;
  error: unknown;
}

/**
 * Counts the programs started in this process. Test files share a worker
 * process (vitest.config.mts), so a failure that arrives late from an earlier
 * program must not be taken for the current one's.
 */
let programsStarted = 0;

/** Runs the program and waits until every resource it constructed is registered. */
export function runProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
): Promise<ProgramRun> {
  programsStarted += 1;
  return runOffline(stack, config, testWorld(options));
}

/** Starts the program; `outcome` settles when index.ts has run. */
export function startProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
) {
  programsStarted += 1;
  return startOffline(stack, config, testWorld(options));
}

/**
 * Starts a program of the test's own (e.g. one that builds ExternalDns
 * directly) in the test world, with `config` (fully qualified keys).
 */
export function startOwnProgram<Exports extends object>(
  program: () => Promise<Exports>,
  options: MockOptions = {},
  config: Record<string, string> = {},
): Promise<OfflineStart<Exports>> {
  programsStarted += 1;
  return startOfflineProgram("test", config, testWorld(options), program);
}

/** Runs a program of the test's own and waits until every resource it constructed is registered. */
export async function runOwnProgram<Exports extends object>(
  program: () => Promise<Exports>,
  options: MockOptions = {},
): Promise<OfflineRun<Exports>> {
  return finishOffline(await startOwnProgram(program, options));
}

/** Runs a program that is expected to throw, and returns what it threw. */
export async function failProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
): Promise<FailedProgramRun> {
  const { record, outcome } = await startProgram(stack, config, options);
  const error = await outcome.then(
    () => {
      throw new Error("the program did not fail");
    },
    (caught: unknown) => caught,
  );
  return { record, error };
}

/** Every collector of every test file: test files share one worker process (isolate: false). */
const rejectionCollectors: ((reason: unknown) => void)[] = [];
let listening = false;

/** One listener for the worker's whole run (late rejections arrive after the tests), not one per file. */
function listenForUnhandledRejections(): void {
  if (listening) return;
  listening = true;
  process.on("unhandledRejection", (reason) => {
    for (const collect of rejectionCollectors) collect(reason);
  });
}

/**
 * Collects unhandled rejections for the calling test file. A failing program
 * rejects every output that depends on the failure; tests assert on the first
 * one of the program started last.
 */
export function collectUnhandledRejections(): { failures: unknown[]; first(): Promise<unknown> } {
  const failures: { program: number; reason: unknown }[] = [];
  listenForUnhandledRejections();
  rejectionCollectors.push((reason) => failures.push({ program: programsStarted, reason }));
  const current = () => failures.filter((failure) => failure.program === programsStarted);
  return {
    get failures() {
      return current().map((failure) => failure.reason);
    },
    async first() {
      while (current().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      return current()[0].reason;
    },
  };
}
