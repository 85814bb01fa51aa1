/**
 * A stack with external-dns:enabled false (e.g. a local cluster on sslip.io
 * wildcard DNS): the program registers nothing and says why.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it, vi } from "vitest";
import { runProgram } from "./support/program";

const info = vi.spyOn(pulumi.log, "info");
const warn = vi.spyOn(pulumi.log, "warn");
afterAll(() => {
  info.mockRestore();
  warn.mockRestore();
});

describe("disabled stack", () => {
  it("registers no resource and makes no Cloudflare call, needing no other key", async () => {
    const run = await runProgram("local", { "external-dns:enabled": "false" });
    expect(run.record.resources.map((resource) => resource.type)).toEqual(["pulumi:pulumi:Stack"]);
    expect(run.record.invokes).toEqual([]);
    expect({ ...run.exports }).toEqual({ enabled: false });
    expect(warn).not.toHaveBeenCalled();
    expect(info).toHaveBeenCalledWith(expect.stringContaining("external-dns:enabled is false"));
  });
});
