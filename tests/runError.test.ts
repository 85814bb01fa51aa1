/**
 * The errors a refused run fails with print and inspect as their message:
 * Pulumi's runtime inspects every uncaught error (components/runError.ts).
 */
import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { PlainRunError } from "../components/runError";
import { ConfigError } from "../stacks/configError";

describe("PlainRunError", () => {
  it("is a Pulumi RunError that inspects as its message alone", () => {
    const error = new PlainRunError("refused: nothing was changed");
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(inspect(error, { colors: true })).toBe("refused: nothing was changed");
  });

  it("is what a config error is", () => {
    const error = new ConfigError(["external-dns:policy: must be one of: sync"]);
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(inspect(error)).toBe(
      "invalid stack config (1 problem):\n  - external-dns:policy: must be one of: sync",
    );
  });
});
