/**
 * An invalid stack through the real CLI: `pulumi preview` fails with every
 * problem listed once per line, and reads like a message, not a crash.
 */
import { describe, expect, it } from "vitest";
import { describeRun, type RunResult } from "./support/project";
import { useStackSuite } from "./support/stackSuite";

const suite = useStackSuite({
  stack: "config-errors",
  config: {
    "external-dns:policy": "delete",
    "external-dns:zones": [{ name: "example.com", id: "abc" }, "example.org"],
    // A typo of domainFilters.
    "external-dns:domainFilter": ["example.com"],
  },
});

/** Each problem, and a pattern for the line that must state it. */
const PROBLEMS: Record<string, RegExp> = {
  "the bad policy": /external-dns:policy: .*"delete"/,
  "the bad zone id": /external-dns:zones\[0\]\.id: .*"abc"/,
  "the unknown key": /external-dns:domainFilter: unknown key/,
};

describe("an invalid stack config", () => {
  let preview: RunResult;

  it("fails the preview, fast", async () => {
    preview = await suite.project.preview();
    expect(preview.exitCode, describeRun(preview)).not.toBe(0);
    expect(preview.exitCode).not.toBeNull();
    // 48 s while Pulumi's runtime spent 36 s in util.inspect of the error (components/runError.ts).
    expect(preview.durationMs).toBeLessThan(30_000);
  });

  it("lists every problem on its own line, and how many there are", () => {
    const lines = preview.output.split("\n");
    for (const [problem, pattern] of Object.entries(PROBLEMS)) {
      expect(
        lines.filter((line) => pattern.test(line)),
        `a line stating ${problem}\n${preview.output}`,
      ).not.toEqual([]);
    }
    const crowded = lines.filter(
      (line) => Object.values(PROBLEMS).filter((pattern) => pattern.test(line)).length > 1,
    );
    expect(crowded, "lines stating more than one problem").toEqual([]);
    expect(preview.output).toContain("invalid stack config (3 problems)");
  });

  it("prints no stack trace and no unhandled exception", () => {
    const traceLines = preview.output.split("\n").filter((line) => /^\s+at /.test(line));
    expect(traceLines, preview.output).toEqual([]);
    expect(preview.output).not.toMatch(/unhandled exception/i);
  });

  it("prints no ANSI escape codes", () => {
    expect(preview.output.includes("\x1b["), JSON.stringify(preview.output)).toBe(false);
  });

  it("registers nothing: no request to Cloudflare, no namespace", async () => {
    expect(suite.api.requests.all.map((request) => `${request.method} ${request.path}`)).toEqual(
      [],
    );
    expect(
      await suite.cluster.get({ apiVersion: "v1", plural: "namespaces", name: suite.namespace }),
    ).toBeUndefined();
  });
});
