/** Recorded API responses for the verify tests (tests/fixtures/verify/). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const DIRECTORY = join(__dirname, "..", "fixtures", "verify");

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(DIRECTORY, name), "utf8")) as T;
}

export function fixtureText(name: string): string {
  return readFileSync(join(DIRECTORY, name), "utf8");
}

/** The token value inside the recorded Secret: must never be shown. */
export const RECORDED_SECRET_TOKEN = "recorded-secret-token-Fw9qL2z";
