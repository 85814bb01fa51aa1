/**
 * When sops-secrets-operator reports an error for the SopsSecret, `pulumi up`
 * fails fast with the operator's words, the likely cause and the remedy, and
 * the chart is not deployed.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { DEFAULT_DECRYPTION_TIMING } from "../components/sopsDecryption";
import { stackConfig } from "../stacks/stackFiles";
import { collectUnhandledRejections, startProgram } from "./support/program";

const rejections = collectUnhandledRejections();

describe("an operator that cannot decrypt the SopsSecret", () => {
  it("fails the run after the grace period, quoting the status and naming the recipients", async () => {
    const started = Date.now();
    const { record } = await startProgram("production", stackConfig("production"), {
      operatorStatus: "Decryption error",
    });
    const error = await rejections.first();
    const elapsed = Date.now() - started;
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    // The runtime names the input that carried the error: the chart's values wait for the operator.
    expect((error as Error).message).toBe(
      'error serializing property "values": SopsSecret external-dns/external-dns-cloudflare: sops-secrets-operator reports "Decryption error": ' +
        "the operator could not decrypt it; most likely its age public key is not in external-dns:sopsAgeRecipients " +
        "(add the operator's key and run pulumi up again), or the operator has no private key mounted.",
    );
    expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_DECRYPTION_TIMING.errorGraceMs);
    expect(elapsed).toBeLessThan(DEFAULT_DECRYPTION_TIMING.errorGraceMs + 10_000);
    expect(record.ofType("kubernetes:helm.sh/v4:Chart")).toEqual([]);
  });
});
