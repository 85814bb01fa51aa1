/**
 * Whether external-dns reads the token its Secret holds. A container reads
 * `CF_API_TOKEN` once, when it starts. The pods roll when the pod template
 * changes (the rollout checksum: a rotation renames the token), but a token
 * minted again under the same name (after Cloudflare revoked it, or it was
 * deleted by hand, and `pulumi up --refresh` dropped it) changes only the
 * Secret: the pods keep the dead token. So after the chart, an up restarts
 * pods that started before the Secret last changed, as `kubectl rollout
 * restart` does.
 */
import type * as k8s from "@kubernetes/client-node";

/** When the token Secret last changed and when the oldest running pod started (RFC 3339). */
export interface TokenReadTimes {
  secretChangedAt?: string;
  podStartedAt?: string;
}

/** The result of the check after the chart: whether this up restarted the pods. */
export interface TokenRestart extends TokenReadTimes {
  restarted: boolean;
}

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";

/** The field manager of the restart: not the provider's, so Pulumi's applies leave the annotation alone. */
export const RESTART_FIELD_MANAGER = "vanixiets-token-restart";

/** How long the restarted Deployment may take to become available again. */
export const RESTART_ROLLOUT_TIMEOUT_MS = 180_000;

/** The Secret's last change: the newest time among its managed fields. */
export function secretChangedAt(secret: k8s.V1Secret | undefined): string | undefined {
  return (secret?.metadata?.managedFields ?? [])
    .map((field) => field.time)
    .filter((time): time is Date => time !== undefined)
    .map((time) => new Date(time).toISOString())
    .sort()
    .at(-1);
}

/** When the oldest running pod (not being deleted) started. */
export function oldestPodStart(pods: readonly k8s.V1Pod[]): string | undefined {
  return pods
    .filter((pod) => pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp)
    .map((pod) => pod.status?.startTime)
    .filter((time): time is Date => time !== undefined)
    .map((time) => new Date(time).toISOString())
    .sort()[0];
}

/** A pod that started before the Secret last changed still reads the token the Secret held before. */
export function readsStaleToken(times: TokenReadTimes): boolean {
  const changed = Date.parse(times.secretChangedAt ?? "");
  const started = Date.parse(times.podStartedAt ?? "");
  return !Number.isNaN(changed) && !Number.isNaN(started) && started < changed;
}

/** The strategic-merge patch `kubectl rollout restart` sends. */
export function restartPatch(now: Date): object {
  return {
    spec: {
      template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: now.toISOString() } } },
    },
  };
}

/** Whether a Deployment has rolled out its current template and all its replicas are available. */
export function rolledOut(deployment: k8s.V1Deployment): boolean {
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (status.updatedReplicas ?? 0) === wanted &&
    (status.replicas ?? 0) === wanted &&
    (status.availableReplicas ?? 0) === wanted
  );
}

/** The label selector of a Deployment's pods, as the API's `labelSelector` parameter. */
export function podSelector(deployment: k8s.V1Deployment): string {
  return Object.entries(deployment.spec?.selector.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** What an up says when it restarted the pods. */
export function restartNotice(deployment: string, secret: string, times: TokenReadTimes): string {
  return `external-dns (${deployment}) started at ${times.podStartedAt}, before Secret ${secret} changed at ${times.secretChangedAt} (a token minted again under the same name changes no pod template): restarted its pods onto the new token.`;
}
