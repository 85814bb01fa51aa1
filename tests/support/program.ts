/**
 * Runs the whole program (index.ts) under Pulumi's mocks with a stack's config,
 * the way `pulumi up` would run it.
 */
import * as pulumi from "@pulumi/pulumi";
import { type CapturedResource, captureResourceProps } from "./leaks";
import { installMocks, type MockOptions, type MockRecord } from "./mocks";

export type ProgramExports = typeof import("../../index");

export interface ProgramRun {
  record: MockRecord;
  captured: CapturedResource[];
  exports: ProgramExports;
}

export interface FailedProgramRun {
  record: MockRecord;
  error: unknown;
}

/** Runs the program and waits until every resource it constructed is registered. */
export async function runProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
): Promise<ProgramRun> {
  const { record, captured, outcome } = await startProgram(stack, config, options);
  const exports = await outcome;
  await settle(captured);
  return { record, captured, exports };
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

/** Starts the program; `outcome` settles when index.ts has run (not when resources are registered). */
export async function startProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
) {
  pulumi.runtime.setAllConfig(config);
  const record = await installMocks(stack, options);
  const captured: CapturedResource[] = [];
  let exports: ProgramExports | undefined;
  const outcome = pulumi.runtime
    .runInPulumiStack(async () => {
      captureResourceProps(captured);
      exports = await import("../../index");
      return {};
    })
    .then(() => {
      if (!exports) throw new Error("the program did not load");
      return exports;
    });
  return { record, captured, outcome };
}

/** Waits until every resource the program constructed is registered with the mocks. */
async function settle(captured: CapturedResource[]): Promise<void> {
  let settled = -1;
  while (settled !== captured.length) {
    settled = captured.length;
    await Promise.all(
      captured.map(({ resource }) => new Promise((resolve) => resource.urn.apply(resolve))),
    );
  }
}

/**
 * Collects unhandled rejections for the calling test file. A failing program
 * rejects every output that depends on the failure; tests assert on the first.
 */
export function collectUnhandledRejections(): { failures: unknown[]; first(): Promise<unknown> } {
  const failures: unknown[] = [];
  const collect = (reason: unknown) => failures.push(reason);
  // Kept for the file's whole run (each test file has its own process): late
  // rejections arrive after the tests.
  process.on("unhandledRejection", collect);
  return {
    failures,
    async first() {
      while (failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      return failures[0];
    },
  };
}
