/**
 * Runs in every test file (vitest.config.mts: setupFiles). Test files share
 * their worker's modules, @pulumi/pulumi included: a spy one file puts on
 * `pulumi.log` must not outlive it.
 *
 * The program's warnings and notes are expected output that tests assert on
 * (vi.spyOn(pulumi.log, "warn") returns this same spy); printed, they read
 * like failures. So `pulumi.log.warn` and `info` record without printing.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeEach, vi } from "vitest";

function recordWithoutPrinting(): void {
  for (const level of ["warn", "info"] as const)
    if (!vi.isMockFunction(pulumi.log[level]))
      vi.spyOn(pulumi.log, level).mockImplementation(async () => {});
}

recordWithoutPrinting();
// Again before each test: a file may have restored its spies in between.
beforeEach(recordWithoutPrinting);

afterAll(() => {
  vi.restoreAllMocks();
});
