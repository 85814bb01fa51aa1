/** The verification as a short table for people, with a hint under each problem. */
import type { Status } from "./checks";
import type { Verification } from "./run";

const MARK: Record<Status, string> = { pass: "PASS", warn: "WARN", fail: "FAIL" };

export function renderVerification(verification: Verification): string {
  const lines = [`Verify stack ${verification.stack}`];
  if (verification.errors.length > 0) {
    lines.push(
      "",
      "Invalid stack config, nothing checked:",
      ...verification.errors.map((error) => `  ✗ ${error}`),
    );
    return `${lines.join("\n")}\n`;
  }
  const areaWidth = Math.max(...verification.results.map((result) => result.area.length));
  const checkWidth = Math.max(...verification.results.map((result) => result.check.length));
  lines.push("");
  for (const result of verification.results) {
    lines.push(
      `${MARK[result.status]}  ${result.area.padEnd(areaWidth)}  ${result.check.padEnd(checkWidth)}  ${result.detail}`,
    );
    if (result.hint && result.status !== "pass") lines.push(`      → ${result.hint}`);
  }
  const count = (status: Status) =>
    verification.results.filter((result) => result.status === status).length;
  lines.push("", `${count("pass")} passed, ${count("warn")} warnings, ${count("fail")} failed`);
  return `${lines.join("\n")}\n`;
}
