/**
 * A stack with gateway sources previews and renders without a reachable
 * cluster: the CRD check warns, naming the CRDs it could not check.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stackConfig } from "../stacks/stackFiles";
import { type ProgramRun, runProgram } from "./support/program";

const warn = vi.spyOn(pulumi.log, "warn");
afterAll(() => warn.mockRestore());

let run: ProgramRun;
let warnings: string[];
beforeAll(async () => {
  run = await runProgram("production", stackConfig("production"), {
    clusterUnreachable: "connect ECONNREFUSED 127.0.0.1:6443",
  });
  warnings = warn.mock.calls.map(([message]) => message);
});

describe("Gateway API check without a reachable cluster", () => {
  it("warns once, naming what it could not check (the CRDs, a running external-dns, the annotations) and why", () => {
    expect(warnings).toEqual([
      "could not check that the cluster has the Gateway API CRDs gateways.gateway.networking.k8s.io (v1), httproutes.gateway.networking.k8s.io (v1) " +
        "that gateway-httproute need (connect ECONNREFUSED 127.0.0.1:6443); the check runs again on every preview and up. " +
        "Could not check namespace external-dns for a running external-dns with other TXT registry settings " +
        "(connect ECONNREFUSED 127.0.0.1:6443); the check runs again on every preview and up. " +
        "Could not check which external-dns annotations the watched objects carry (connect ECONNREFUSED 127.0.0.1:6443); " +
        "external-dns 0.22.0 reads external-dns.alpha.kubernetes.io/ only (--annotation-prefix=external-dns.alpha.kubernetes.io/); " +
        "the check runs again on every preview and up.",
    ]);
  });

  it("still registers everything, the chart included", () => {
    expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
    expect(run.record.ofType("kubernetes:isindir.github.com/v1alpha3:SopsSecret")).toHaveLength(1);
  });
});
