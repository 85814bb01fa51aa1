/**
 * external-dns reads TLS, TCP and UDP routes at v1alpha2, which the Gateway
 * API's standard channel no longer serves: against a cluster whose CRD serves
 * only v1, the run fails before anything is created, naming the version and
 * the experimental channel.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { stackConfig } from "../stacks/stackFiles";
import { collectUnhandledRejections, createdResourceTypes, startProgram } from "./support/program";

const rejections = collectUnhandledRejections();

describe("a Gateway API CRD without the version external-dns reads", () => {
  it("fail the run when a route CRD does not serve the version external-dns reads, naming the experimental channel", async () => {
    const config = {
      ...stackConfig("production"),
      "external-dns:sources": '["service","gateway-tcproute"]',
    };
    const { record } = await startProgram("production", config, {
      crdVersions: { "tcproutes.gateway.networking.k8s.io": ["v1"] },
    });
    const error = await rejections.first();
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      "external-dns:sources includes gateway-tcproute, but tcproutes.gateway.networking.k8s.io serves v1, not v1alpha2, the version external-dns 0.22.0 reads; " +
        "external-dns would fail at start-up. Nothing was changed. Install the Gateway API CRDs, experimental channel v1.6 or later " +
        "(external-dns 0.22.0 reads tcproutes.gateway.networking.k8s.io at v1alpha2, which the standard channel no longer serves): " +
        "kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/experimental-install.yaml, " +
        "or remove the gateway sources.",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(createdResourceTypes(record)).toEqual([]);
  });
});
