/**
 * An invalid stack config stops the program before anything is registered,
 * with every problem listed at once.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../stacks/configError";
import { stackConfig } from "../stacks/stackFiles";
import { collectUnhandledRejections, failProgram } from "./support/program";

const rejections = collectUnhandledRejections();

describe("invalid stack config", () => {
  it("fails with all problems, before any resource, read or invoke", async () => {
    const config = {
      ...stackConfig("production"),
      "external-dns:policy": "delete-everything",
      "external-dns:recordsPerPage": "10000",
      "external-dns:sources": JSON.stringify(["service", "gateway-httproutes"]),
      "external-dns:zone": "example.com",
    };
    const { record, error } = await failProgram("production", config);
    expect(error).toBeInstanceOf(ConfigError);
    if (!(error instanceof ConfigError)) return;
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^external-dns:zone: unknown key; did you mean external-dns:zones\? known keys: .*zones/,
      ),
      expect.stringMatching(
        /^external-dns:sources\[1\]: must be one of: service, .*gateway-httproute.*; given "gateway-httproutes"$/,
      ),
      expect.stringMatching(
        /^external-dns:policy: must be one of: sync, upsert-only, create-only; given "delete-everything"$/,
      ),
      expect.stringMatching(
        /^external-dns:recordsPerPage: must be a whole number from 1 to 5000; given 10000$/,
      ),
    ]);
    expect(error.message).toMatch(/^invalid stack config \(4 problems\):\n {2}- external-dns:zone/);
    expect(
      record.resources
        .map((resource) => resource.type)
        .filter((type) => type !== "pulumi:pulumi:Stack"),
    ).toEqual([]);
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(record.invokes).toEqual([]);
    expect(rejections.failures.every((failure) => failure instanceof ConfigError)).toBe(true);
  });
});
