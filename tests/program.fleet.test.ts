/**
 * The program against the project's other stack files (the fleet), under
 * Pulumi's mocks: an owner ID a sibling uses on a shared zone is refused
 * before anything is registered; hostnames a sibling admits too are a warning.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { ConfigError } from "../stacks/configError";
import { stackConfig } from "../stacks/stackFiles";
import { stackFile, stackKeys } from "./support/fleet";
import {
  collectUnhandledRejections,
  createdResourceTypes,
  failProgram,
  runProgram,
} from "./support/program";

const PRODUCTION = stackConfig("production");

// A failing program also rejects the outputs that depend on the failure; they are expected here.
collectUnhandledRejections();

describe("the program in a fleet", () => {
  it("refuses an owner ID a sibling stack uses on a shared zone, and registers nothing", async () => {
    const { record, error } = await failProgram("production", PRODUCTION, {
      stackFiles: [
        { stack: "production", path: "Pulumi.production.yaml", config: PRODUCTION },
        stackFile("fsn1", stackKeys("hetzner-production", { domainFilters: ["fsn1.example.com"] })),
      ],
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^stack config conflicts with another stack of this project \(1 problem\):\n {2}- external-dns:txtOwnerId: is also the owner ID of stack fsn1 \(Pulumi\.fsn1\.yaml\), which shares zone example\.com with this stack: .*given "hetzner-production"; allowed: /,
    );
    expect(createdResourceTypes(record)).toEqual([]);
  });

  it("deploys beside a sibling that admits some of its names, warning and naming them", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    try {
      const run = await runProgram("production", PRODUCTION, {
        stackFiles: [stackFile("fsn1", stackKeys("fsn1", { domainFilters: ["fsn1.example.com"] }))],
      });
      expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
      expect(warn.mock.calls.map(([message]) => message)).toEqual([
        expect.stringMatching(
          /^external-dns:domainFilters: this stack and stack fsn1 \(Pulumi\.fsn1\.yaml\) both admit names at or under fsn1\.example\.com in zone example\.com: /,
        ),
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("deploys with a warning when the stack files cannot be read", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    try {
      const run = await runProgram("production", PRODUCTION, {
        stackFilesError:
          "Pulumi.broken.yaml: Flow sequence in block collection must be sufficiently indented",
      });
      expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
      expect(warn.mock.calls.map(([message]) => message)).toEqual([
        "Could not read the project's stack files, so this stack was not checked against the other stacks: Pulumi.broken.yaml: Flow sequence in block collection must be sufficiently indented",
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
