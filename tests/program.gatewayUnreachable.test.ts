/**
 * Without a reachable cluster: a stack whose provider renders YAML previews and
 * renders, the checks warning about what they could not read; one whose
 * provider deploys is refused at once with a message naming the cluster (the
 * provider could not preview the chart either).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stackConfig } from "../stacks/stackFiles";
import {
  collectUnhandledRejections,
  createdResourceTypes,
  failProgram,
  type ProgramRun,
  runProgram,
} from "./support/program";

collectUnhandledRejections();
const warn = vi.spyOn(pulumi.log, "warn");
afterAll(() => warn.mockRestore());

let run: ProgramRun;
let warnings: string[];
beforeAll(async () => {
  run = await runProgram(
    "production",
    { ...stackConfig("production"), "kubernetes:renderYamlToDirectory": "/tmp/rendered" },
    { clusterUnreachable: "connect ECONNREFUSED 127.0.0.1:6443" },
  );
  warnings = warn.mock.calls.map(([message]) => message);
});

describe("the checks without a reachable cluster, when the provider only renders YAML", () => {
  it("warns once, naming the CRDs it could not check and why", () => {
    expect(warnings).toEqual([
      "could not check that the cluster has the Gateway API CRDs gateways.gateway.networking.k8s.io (v1), httproutes.gateway.networking.k8s.io (v1) " +
        "that gateway-httproute need (connect ECONNREFUSED 127.0.0.1:6443); the check runs again on every preview and up.",
    ]);
  });

  it("still registers everything, the chart included", () => {
    expect(run.record.ofType("kubernetes:helm.sh/v4:Chart")).toHaveLength(1);
    expect(run.record.ofType("kubernetes:isindir.github.com/v1alpha3:SopsSecret")).toHaveLength(1);
  });
});

describe("the checks without a reachable cluster, when the provider deploys", () => {
  it("refuse before anything is registered, naming the cluster and what to check, without a stack trace", async () => {
    const failed = await failProgram("production", stackConfig("production"), {
      clusterUnreachable:
        "the cluster at https://127.0.0.1:6443 could not be reached (fetch failed: connect ECONNREFUSED 127.0.0.1:6443)",
    });
    expect(pulumi.RunError.isInstance(failed.error)).toBe(true);
    expect((failed.error as Error).message).toBe(
      "Could not read the cluster: the cluster at https://127.0.0.1:6443 could not be reached (fetch failed: connect ECONNREFUSED 127.0.0.1:6443). The Kubernetes provider needs it to preview or deploy the chart. Nothing was changed. Check the kubeconfig the program uses (kubernetes:kubeconfig, else KUBECONFIG) and the connection to the cluster (a VPN?), then run again.",
    );
    expect(createdResourceTypes(failed.record)).toEqual([]);
  });
});
