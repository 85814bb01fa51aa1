/**
 * Waiting for sops-secrets-operator: done only when it reports Healthy and the
 * Secret holds the minted token; an error status fails after the grace period;
 * no progress fails at the timeout. Time is simulated.
 */

import { describe, expect, it } from "vitest";
import {
  type ClusterReader,
  type SopsSecretObservation,
  sha256Hex,
} from "../components/clusterAccess";
import {
  type Clock,
  decryptionVerdict,
  OPERATOR_ERROR_HINTS,
  operatorErrorMessage,
  waitForDecryption,
} from "../components/sopsDecryption";
import { CONFIG_NAMING } from "../stacks/settings";

const TARGET = {
  namespace: "external-dns",
  sopsSecretName: "external-dns-cloudflare",
  secretName: "cloudflare-api-token",
  secretKey: "CF_API_TOKEN",
};
const NEW = sha256Hex("new-token");
const OLD = sha256Hex("old-token");
const TIMING = { timeoutMs: 60_000, errorGraceMs: 5_000, pollMs: 1_000 };

/** A reader that replays observations, one per poll (the last one repeats). */
function replay(observations: SopsSecretObservation[]): ClusterReader & { polls: number } {
  const reader = {
    polls: 0,
    rendersOnly: false,
    probe: async () => ({ reachable: true as const }),
    servedCrdVersions: async () => ({ reachable: true as const, served: {} }),
    runningExternalDns: async () => ({ reachable: true as const, declared: async () => [] }),
    annotatedObjects: async () => ({ reachable: true as const, objects: [] }),
    observeSopsSecret: async () => observations[Math.min(reader.polls++, observations.length - 1)],
    restartPodsOnStaleToken: async () => ({ restarted: false }),
  };
  return reader;
}

function simulatedClock(): Clock & { elapsed(): number } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    elapsed: () => now,
  };
}

const fail = (message: string) => new Error(message);

describe("decryptionVerdict", () => {
  it("is done only when Healthy and the Secret holds the new token", () => {
    expect(decryptionVerdict({ status: "Healthy", secretValueSha256: NEW }, NEW)).toEqual({
      state: "done",
    });
    // Healthy left over from the previous token: the window this closes.
    expect(decryptionVerdict({ status: "Healthy", secretValueSha256: OLD }, NEW)).toEqual({
      state: "waiting",
    });
    expect(decryptionVerdict({}, NEW)).toEqual({ state: "waiting" });
    expect(decryptionVerdict({ status: "Decryption error", secretValueSha256: OLD }, NEW)).toEqual({
      state: "error",
      status: "Decryption error",
    });
  });
});

describe("waitForDecryption", () => {
  it("returns once the Secret is updated", async () => {
    const reader = replay([
      { status: "Healthy", secretValueSha256: OLD },
      { status: "Healthy", secretValueSha256: NEW },
    ]);
    const clock = simulatedClock();
    await waitForDecryption(reader, TARGET, NEW, fail, CONFIG_NAMING.key, TIMING, clock);
    expect(reader.polls).toBe(2);
    expect(clock.elapsed()).toBe(1_000);
  });

  it("outlasts a cluster that is away for a moment", async () => {
    const observations = replay([{ status: "Healthy", secretValueSha256: NEW }]);
    let failures = 2;
    const reader = {
      ...observations,
      observeSopsSecret: async () => {
        if (failures-- > 0) throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
        return observations.observeSopsSecret(TARGET);
      },
    };
    await waitForDecryption(reader, TARGET, NEW, fail, CONFIG_NAMING.key, TIMING, simulatedClock());
  });

  it("fails after the timeout naming the cluster it could not read, as a message, not a stack trace", async () => {
    const reader = {
      ...replay([]),
      observeSopsSecret: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
      },
    };
    const clock = simulatedClock();
    await expect(
      waitForDecryption(reader, TARGET, NEW, fail, CONFIG_NAMING.key, TIMING, clock),
    ).rejects.toThrow(
      "SopsSecret external-dns/external-dns-cloudflare: could not check within 60s that the operator decrypted it into Secret cloudflare-api-token: the cluster could not be read (connect ECONNREFUSED 127.0.0.1:6443); run pulumi up again once it can be reached",
    );
    expect(clock.elapsed()).toBe(60_000);
  });

  it("outlasts a stale error that the operator replaces within the grace period", async () => {
    const reader = replay([
      { status: "Decryption error" },
      { status: "Decryption error" },
      { status: "Healthy", secretValueSha256: NEW },
    ]);
    await waitForDecryption(reader, TARGET, NEW, fail, CONFIG_NAMING.key, TIMING, simulatedClock());
    expect(reader.polls).toBe(3);
  });

  it("fails when an error persists for the grace period, quoting it with the remedy", async () => {
    const clock = simulatedClock();
    const waiting = waitForDecryption(
      replay([{ status: "Child secret is not owned by controller error" }]),
      TARGET,
      NEW,
      fail,
      CONFIG_NAMING.key,
      TIMING,
      clock,
    );
    await expect(waiting).rejects.toThrow(
      'SopsSecret external-dns/external-dns-cloudflare: sops-secrets-operator reports "Child secret is not owned by controller error": ' +
        "a Secret cloudflare-api-token already exists in namespace external-dns that the operator did not create (e.g. made by hand); " +
        "delete it (kubectl -n external-dns delete secret cloudflare-api-token) and run pulumi up again",
    );
    expect(clock.elapsed()).toBe(TIMING.errorGraceMs);
  });

  it("fails at the timeout when the operator never answers, asking whether it runs", async () => {
    const clock = simulatedClock();
    await expect(
      waitForDecryption(replay([{}]), TARGET, NEW, fail, CONFIG_NAMING.key, TIMING, clock),
    ).rejects.toThrow(
      "not decrypted into Secret cloudflare-api-token within 60s (the operator has written no status); is sops-secrets-operator running and watching namespace external-dns?",
    );
    expect(clock.elapsed()).toBe(TIMING.timeoutMs);
  });
});

describe("operator error messages", () => {
  it("have a hint for every status but Healthy that sops-secrets-operator 0.21 sets", () => {
    // internal/controllers/sopssecret_controller.go, the STATUS_* constants.
    expect(Object.keys(OPERATOR_ERROR_HINTS).sort()).toEqual(
      [
        "Decryption error",
        "Child secret is not owned by controller error",
        "Child secret update error",
        "New child secret creation error",
        "Setting controller ownership of the child secret error",
        "Reconciliation is suspended",
        "Unknown Error",
      ].sort(),
    );
  });

  it("say how to resume a suspended SopsSecret", () => {
    expect(
      operatorErrorMessage(TARGET, "Reconciliation is suspended", CONFIG_NAMING.key),
    ).toContain(
      `kubectl -n external-dns patch sopssecret external-dns-cloudflare --type merge -p '{"spec":{"suspend":false}}'`,
    );
  });

  it("fall back to the logs for a status they do not know", () => {
    expect(operatorErrorMessage(TARGET, "Something new", CONFIG_NAMING.key)).toBe(
      'SopsSecret external-dns/external-dns-cloudflare: sops-secrets-operator reports "Something new": ' +
        "see the operator's logs and `kubectl describe sopssecret`.",
    );
  });
});
