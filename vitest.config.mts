import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A Node.js too old stops the run with a message saying so (stacks/nodeVersion.cjs).
    globalSetup: ["stacks/checkNodeForVitest.ts"],
    include: ["tests/**/*.test.ts"],
    pool: "forks",
    // Test files run one after another in each worker and share its modules: importing the Pulumi
    // SDKs once per worker instead of once per file is most of npm test's time. Pulumi's mocks are
    // process-global, which is fine one file at a time: every program run installs its own
    // (plan/offline.ts); tests/support/program.ts tells a late failure of an earlier program from the
    // current one's, and the setup file restores spies after each file.
    isolate: false,
    setupFiles: ["tests/support/setup.ts"],
    // Every core: vitest's default leaves one idle (one worker on a 2-core machine), while much of a
    // test's time is a child process (sops, dnsmasq, ts-node) or a wait.
    maxWorkers: "100%",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report is what .ci/run counts; the default reporter is for people.
    reporters: ["default", "json"],
    outputFile: { json: "test-results.json" },
  },
});
