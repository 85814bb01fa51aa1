/**
 * Gateway sources need the Gateway API CRDs: against a reachable cluster that
 * lacks one, the run fails before anything is created, naming the CRDs and the
 * install step.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { stackConfig } from "../stacks/stackFiles";
import { collectUnhandledRejections, createdResourceTypes, startProgram } from "./support/program";

const rejections = collectUnhandledRejections();

describe("missing Gateway API CRDs", () => {
  it("fail the run before any resource is created, naming the CRD and the install step", async () => {
    const { record } = await startProgram("production", stackConfig("production"), {
      missingCrds: ["httproutes.gateway.networking.k8s.io"],
    });
    const error = await rejections.first();
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      "external-dns:sources includes gateway-httproute, but the cluster lacks the Gateway API CRDs httproutes.gateway.networking.k8s.io; " +
        "external-dns would fail at start-up. Nothing was changed. Install the Gateway API CRDs, standard channel v1.6 or later: " +
        "kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/standard-install.yaml, " +
        "or remove the gateway sources.",
    );
    // Give anything that was not gated a chance to register, then look.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(createdResourceTypes(record)).toEqual([]);
  });
});
