/**
 * The e2e suite runs external-dns with the chart pod's own args; only the two
 * a process outside a pod needs are set, whatever the pod had for them.
 */
import { describe, expect, it } from "vitest";
import { localArgs } from "../e2e/support/externalDns";

describe("the args an external-dns process gets from its pod", () => {
  it("keeps the pod's args in order and adds --kubeconfig and a loopback metrics address", () => {
    expect(localArgs(["--provider=cloudflare", "--source=service"], "/tmp/pod.kubeconfig")).toEqual(
      [
        "--provider=cloudflare",
        "--source=service",
        "--kubeconfig=/tmp/pod.kubeconfig",
        "--metrics-address=127.0.0.1:0",
      ],
    );
  });

  it("replaces a metrics address or kubeconfig the pod set (each flag may appear once)", () => {
    expect(
      localArgs(["--metrics-address=:7979", "--kubeconfig=/in/pod", "--policy=sync"], "/k"),
    ).toEqual(["--policy=sync", "--kubeconfig=/k", "--metrics-address=127.0.0.1:0"]);
  });
});
