/**
 * Waiting for sops-secrets-operator to decrypt the SopsSecret into the Secret
 * external-dns reads. Done means: the operator reports `Healthy` and the Secret
 * holds the token just minted (compared by SHA-256, so the value never leaves
 * the program). The operator's status has no generation, so `Healthy` alone can
 * be left over from the previous token; the digest closes that window.
 *
 * An error status fails the wait once it has persisted for a grace period (a
 * stale error is replaced within a second once the operator sees the new spec).
 */

import type { OptionName } from "../stacks/settings";
import {
  type ClusterReader,
  describeError,
  type SopsSecretObservation,
  type SopsSecretTarget,
} from "./clusterAccess";

/** The operator's status when the Secret is up to date (sops-secrets-operator 0.21). */
export const OPERATOR_HEALTHY = "Healthy";

/** Status messages sops-secrets-operator 0.21 sets on failure, and what to do about each. */
export const OPERATOR_ERROR_HINTS: Record<
  string,
  (target: SopsSecretTarget, name: OptionName) => string
> = {
  "Decryption error": (_target, name) =>
    `the operator could not decrypt it; most likely its age public key is not in ${name("sopsAgeRecipients")} ` +
    "(add the operator's key and run pulumi up again), or the operator has no private key mounted",
  "Child secret is not owned by controller error": (target) =>
    `a Secret ${target.secretName} already exists in namespace ${target.namespace} that the operator did not create ` +
    `(e.g. made by hand); delete it (kubectl -n ${target.namespace} delete secret ${target.secretName}) and run pulumi up again: ` +
    "the operator then creates its own, and running pods keep their current token until they restart",
  "Child secret update error": () =>
    "the operator could not update the Secret; see the operator's logs (RBAC or admission webhooks)",
  "New child secret creation error": () =>
    "the operator could not create the Secret; see the operator's logs (RBAC, quotas or admission webhooks)",
  "Setting controller ownership of the child secret error": () =>
    "the operator could not take ownership of the Secret; see the operator's logs",
  "Unknown Error": (target) =>
    `the operator could not read or create Secret ${target.secretName} (an API error, often RBAC or a webhook); see the operator's logs`,
  "Reconciliation is suspended": (target) =>
    `spec.suspend is true on the SopsSecret, so the operator neither creates nor updates Secret ${target.secretName}; ` +
    `resume it (kubectl -n ${target.namespace} patch sopssecret ${target.sopsSecretName} --type merge -p '{"spec":{"suspend":false}}')`,
};

export interface DecryptionTiming {
  /** Give up after this long without the Secret holding the token. */
  timeoutMs: number;
  /** How long an error status must persist before the wait fails. */
  errorGraceMs: number;
  pollMs: number;
}

export const DEFAULT_DECRYPTION_TIMING: DecryptionTiming = {
  timeoutMs: 120_000,
  errorGraceMs: 5_000,
  pollMs: 1_000,
};

export type DecryptionVerdict =
  | { state: "done" }
  | { state: "waiting" }
  | { state: "error"; status: string };

/** Where one observation stands; `expectedSha256` is the digest of the minted token. */
export function decryptionVerdict(
  observed: SopsSecretObservation,
  expectedSha256: string,
): DecryptionVerdict {
  if (observed.status === OPERATOR_HEALTHY && observed.secretValueSha256 === expectedSha256) {
    return { state: "done" };
  }
  if (observed.status !== undefined && observed.status !== OPERATOR_HEALTHY) {
    return { state: "error", status: observed.status };
  }
  return { state: "waiting" };
}

/** The error a failed wait raises: the operator's words, the likely cause, the remedy. */
export function operatorErrorMessage(
  target: SopsSecretTarget,
  status: string,
  name: OptionName,
): string {
  const hint =
    OPERATOR_ERROR_HINTS[status]?.(target, name) ??
    "see the operator's logs and `kubectl describe sopssecret`";
  return `SopsSecret ${target.namespace}/${target.sopsSecretName}: sops-secrets-operator reports "${status}": ${hint}.`;
}

export function decryptionTimeoutMessage(
  target: SopsSecretTarget,
  timing: DecryptionTiming,
  last: SopsSecretObservation,
): string {
  const seen =
    last.status === undefined
      ? "the operator has written no status"
      : last.secretValueSha256 === undefined
        ? `the operator reports "${last.status}" but Secret ${target.secretName} has no ${target.secretKey}`
        : `the operator reports "${last.status}" but Secret ${target.secretName} still holds another token`;
  return (
    `SopsSecret ${target.namespace}/${target.sopsSecretName}: not decrypted into Secret ${target.secretName} within ${timing.timeoutMs / 1000}s (${seen}); ` +
    `is sops-secrets-operator running and watching namespace ${target.namespace}?`
  );
}

export function unreadableClusterMessage(
  target: SopsSecretTarget,
  timing: DecryptionTiming,
  reason: string,
): string {
  return (
    `SopsSecret ${target.namespace}/${target.sopsSecretName}: could not check within ${timing.timeoutMs / 1000}s that the operator decrypted it into Secret ${target.secretName}: ` +
    `the cluster could not be read (${reason}); run pulumi up again once it can be reached`
  );
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Polls until the Secret holds the minted token. Throws `fail(message)` when the
 * operator reports an error for `errorGraceMs`, or nothing is done by `timeoutMs`.
 */
export async function waitForDecryption(
  reader: ClusterReader,
  target: SopsSecretTarget,
  expectedSha256: string,
  fail: (message: string) => Error,
  name: OptionName,
  timing: DecryptionTiming = DEFAULT_DECRYPTION_TIMING,
  clock: Clock = realClock,
): Promise<void> {
  const start = clock.now();
  let errorSince: number | undefined;
  for (;;) {
    const read = await reader.observeSopsSecret(target).then(
      (observed) => ({ observed }),
      (error: unknown) => ({ unreadable: describeError(error) }),
    );
    if ("unreadable" in read) {
      // The cluster may be away for a moment: try again until the timeout, then name it.
      if (clock.now() - start >= timing.timeoutMs)
        throw fail(unreadableClusterMessage(target, timing, read.unreadable));
      await clock.sleep(timing.pollMs);
      continue;
    }
    const { observed } = read;
    const verdict = decryptionVerdict(observed, expectedSha256);
    if (verdict.state === "done") return;
    const now = clock.now();
    if (verdict.state === "error") {
      errorSince ??= now;
      if (now - errorSince >= timing.errorGraceMs) {
        throw fail(operatorErrorMessage(target, verdict.status, name));
      }
    } else errorSince = undefined;
    if (now - start >= timing.timeoutMs) {
      throw fail(decryptionTimeoutMessage(target, timing, observed));
    }
    await clock.sleep(timing.pollMs);
  }
}
