/**
 * Runs the whole program (index.ts) under Pulumi's mocks with a stack's config
 * and the test world, the way `pulumi up` would run it.
 */
import {
  type ConstructedResource,
  type OfflineRecord,
  type ProgramExports,
  runOffline,
  startOffline,
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

/** Runs the program and waits until every resource it constructed is registered. */
export function runProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
): Promise<ProgramRun> {
  return runOffline(stack, config, testWorld(options));
}

/** Starts the program; `outcome` settles when index.ts has run. */
export function startProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
) {
  return startOffline(stack, config, testWorld(options));
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

/**
 * Collects unhandled rejections for the calling test file. A failing program
 * rejects every output that depends on the failure; tests assert on the first.
 */
export function collectUnhandledRejections(): { failures: unknown[]; first(): Promise<unknown> } {
  const failures: unknown[] = [];
  // Kept for the file's whole run (each test file has its own process): late
  // rejections arrive after the tests.
  process.on("unhandledRejection", (reason) => failures.push(reason));
  return {
    failures,
    async first() {
      while (failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      return failures[0];
    },
  };
}
