/**
 * Gateway sources need the Gateway API CRDs: a cluster without them fails the
 * preview, and the log says why and what to do.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it, vi } from "vitest";
import { stackConfig } from "../plan/stackFile";
import { collectUnhandledRejections, startProgram } from "./support/program";

const info = vi.spyOn(pulumi.log, "info");
const rejections = collectUnhandledRejections();
afterAll(() => info.mockRestore());

describe("missing Gateway API CRDs", () => {
  it("fail the run at the CRD read, with a hint naming the CRD and the sources", async () => {
    const { record } = await startProgram("production", stackConfig("production"), {
      missingCrds: ["httproutes.gateway.networking.k8s.io"],
    });
    const error = await rejections.first();
    expect(String(error)).toMatch(
      /failed to read resource #httproutes\.gateway\.networking\.k8s\.io 'external-dns-required-crd-httproutes\.gateway\.networking\.k8s\.io'.*does not exist/,
    );
    expect(info).toHaveBeenCalledWith(
      expect.stringMatching(
        /sources includes gateway-httproute, so the Gateway API CRDs gateways\.gateway\.networking\.k8s\.io, httproutes\.gateway\.networking\.k8s\.io must be installed.*install the Gateway API CRDs/,
      ),
      expect.anything(),
    );
    expect(record.ofType("kubernetes:helm.sh/v4:Chart")).toEqual([]);
  });
});
