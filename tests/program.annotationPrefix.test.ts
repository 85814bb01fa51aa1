/**
 * The annotation-prefix check, through the whole program: before anything is
 * created, a stack that would leave external-dns annotations unread is
 * refused, naming the objects; a stack that opted into the new prefix is told
 * which objects it stops reading, and deploys.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  CURRENT_ANNOTATION_PREFIX as CURRENT,
  LEGACY_ANNOTATION_PREFIX as LEGACY,
} from "../components/externalDnsReleases";
import { stackConfig } from "../stacks/stackFiles";
import {
  collectUnhandledRejections,
  createdResourceTypes,
  runProgram,
  startProgram,
} from "./support/program";

const rejections = collectUnhandledRejections();
const warn = vi.spyOn(pulumi.log, "warn");
afterAll(() => warn.mockRestore());

const OBJECTS = [
  { source: "service/shop/web", keys: [`${LEGACY}hostname`] },
  { source: "service/shop/api", keys: [`${CURRENT}hostname`, `${CURRENT}ttl`] },
];

const production = (overrides: Record<string, string> = {}) => ({
  ...stackConfig("production"),
  ...overrides,
});

describe("objects annotated under a prefix the deployment would not read", () => {
  it("refuse a stack that keeps the legacy prefix on 0.22.0, before anything is created", async () => {
    const { record } = await startProgram("production", production(), {
      annotatedObjects: OBJECTS,
    });
    const error = (await rejections.first()) as Error;
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(error.message.split("\n").slice(0, 2)).toEqual([
      `external-dns 0.22.0 reads ${LEGACY} only (--annotation-prefix=${LEGACY}), and would ignore these annotations of objects it watches:`,
      `  service/shop/api: ${CURRENT}hostname, ${CURRENT}ttl`,
    ]);
    expect(error.message).toContain("set external-dns:annotationPrefix to current");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(createdResourceTypes(record)).toEqual([]);
  });

  it("pass on external-dns 0.23.0, which reads both prefixes", async () => {
    warn.mockClear();
    const run = await runProgram(
      "production",
      production({ "external-dns:externalDnsVersion": "0.23.0" }),
      { annotatedObjects: OBJECTS },
    );
    expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
    expect(warn.mock.calls.map(([message]) => message)).toEqual([]);
  });

  it("warn a stack that opted into the new prefix, naming the objects it stops reading, and deploy", async () => {
    warn.mockClear();
    const run = await runProgram(
      "production",
      production({ "external-dns:annotationPrefix": "current" }),
      { annotatedObjects: OBJECTS },
    );
    expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
    const warnings = warn.mock.calls.map(([message]) => String(message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].split("\n").slice(0, 3)).toEqual([
      `external-dns 0.22.0 reads ${CURRENT} only (its default) (annotationPrefix current), so it ignores these annotations:`,
      `  service/shop/web: ${LEGACY}hostname`,
      "Under sync, external-dns deletes the records that only these annotations ask for (a hostname), and records they shape (target, ttl, cloudflare-proxied) fall back to what the objects give without them.",
    ]);
  });
});
