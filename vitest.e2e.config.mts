import { defineConfig } from "vitest/config";

/**
 * The end-to-end suite: the real Pulumi CLI deploys the program into the cluster
 * of KUBECONFIG (see e2e/support/environment.ts for what it needs).
 */
export default defineConfig({
  test: {
    // A Node.js too old stops the run with a message saying so (stacks/nodeVersion.cjs).
    globalSetup: ["stacks/checkNodeForVitest.ts"],
    include: ["e2e/**/*.test.ts"],
    pool: "forks",
    // One file at a time: every stack installs the chart's cluster-wide ClusterRole "external-dns".
    fileParallelism: false,
    // A `pulumi up` takes about a minute on a small machine; waits inside the tests are bounded themselves.
    testTimeout: 360_000,
    hookTimeout: 360_000,
    reporters: ["default", "json"],
    outputFile: { json: "test-results.e2e.json" },
  },
});
