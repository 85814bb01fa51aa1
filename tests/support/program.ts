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

export async function runProgram(
  stack: string,
  config: Record<string, string>,
  options: MockOptions = {},
): Promise<ProgramRun> {
  pulumi.runtime.setAllConfig(config);
  const record = await installMocks(stack, options);
  let captured: CapturedResource[] = [];
  let exports: ProgramExports | undefined;
  await pulumi.runtime.runInPulumiStack(async () => {
    captured = captureResourceProps();
    exports = await import("../../index");
    return {};
  });
  if (!exports) throw new Error("the program did not load");
  await settle(captured);
  return { record, captured, exports };
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
