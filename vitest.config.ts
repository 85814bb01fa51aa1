import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Pulumi's mocks are process-global: every test file gets its own worker.
    pool: "forks",
    isolate: true,
    testTimeout: 60_000,
  },
});
