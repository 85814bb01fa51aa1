/** `npm run verify` usage errors exit with 2 before touching any cluster. */
import { describe, expect, it } from "vitest";
import { runScript } from "./support/cli";

function verifyCli(...args: string[]) {
  return runScript("verify/cli.ts", ...args);
}

describe("verify CLI", () => {
  it("exits 2 with the usage when the stack is missing or unknown", () => {
    const none = verifyCli();
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("usage: npm run verify -- <stack>");
    const unknown = verifyCli("nosuch");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("no stack file");
  });

  it("fails with a clear message when the cluster cannot be reached", () => {
    const result = verifyCli("production", "--kubeconfig", "/nonexistent/kubeconfig");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^verify failed: .*nonexistent/m);
  });
});
