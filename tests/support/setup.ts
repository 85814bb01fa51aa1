/**
 * Runs in every test file (vitest.config.mts: setupFiles). Test files share
 * their worker's modules, @pulumi/pulumi included: a spy one file puts on
 * `pulumi.log` must not outlive it.
 */
import { afterAll, vi } from "vitest";

afterAll(() => {
  vi.restoreAllMocks();
});
