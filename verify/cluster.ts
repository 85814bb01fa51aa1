/**
 * What the cluster says, read with @kubernetes/client-node and reduced to the
 * observations the checks need. The Secret's values are never kept: only its keys.
 */
import * as k8s from "@kubernetes/client-node";
import { RELEASE_NAME } from "../components/chartValues";
import { apiMessage, orNotFound, servedVersions } from "../components/clusterAccess";
import { readDeclaredHostnames } from "../components/declaredHostnames";
import { SOPS_SECRET_NAME, TOKEN_SECRET_NAME } from "../components/sopsSecret";
import { oldestPodStart, secretChangedAt } from "../components/tokenRestart";
import type {
  DeclaredHostname,
  DeploymentObservation,
  LogObservation,
  SecretChainObservation,
} from "./checks";

const POD_SELECTOR = `app.kubernetes.io/name=external-dns,app.kubernetes.io/instance=${RELEASE_NAME}`;
const LOG_TAIL_LINES = 500;

export interface ClusterObservations extends DeploymentObservation, SecretChainObservation {
  /** The versions each required CRD serves; undefined: not installed. */
  crds: Record<string, string[] | undefined>;
  declared: DeclaredHostname[];
  log: LogObservation;
}

export interface ClusterQuery {
  namespace: string;
  sources: string[];
  /** The annotation prefixes external-dns reads, the one that wins first. */
  annotationPrefixes: string[];
  requiredCrds: string[];
}

export async function observeCluster(
  kubeConfig: k8s.KubeConfig,
  query: ClusterQuery,
): Promise<ClusterObservations> {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const extensions = kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const { namespace } = query;

  const [ns, deployment, pods, sopsSecret, secret, crds] = await Promise.all([
    orNotFound(core.readNamespace({ name: namespace })),
    orNotFound(apps.readNamespacedDeployment({ name: RELEASE_NAME, namespace })),
    core.listNamespacedPod({ namespace, labelSelector: POD_SELECTOR }).then(
      (list) => list.items,
      () => [],
    ),
    orNotFound(
      custom.getNamespacedCustomObject({
        group: "isindir.github.com",
        version: "v1alpha3",
        namespace,
        plural: "sopssecrets",
        name: SOPS_SECRET_NAME,
      }),
    ),
    orNotFound(core.readNamespacedSecret({ name: TOKEN_SECRET_NAME, namespace })),
    Promise.all(
      query.requiredCrds.map(async (name) => {
        const crd = await orNotFound(extensions.readCustomResourceDefinition({ name }));
        return [name, servedVersions(crd)] as const;
      }),
    ),
  ]);

  const declared = await readDeclaredHostnames(kubeConfig, query.sources, query.annotationPrefixes);
  const log: LogObservation =
    pods.length > 0 ? await podLog(core, namespace, pods[0].metadata?.name ?? "") : { lines: [] };

  return {
    ...deploymentObservation(ns !== undefined, deployment, pods),
    sopsSecretMessage: sopsSecretMessage(sopsSecret),
    secretKeys: secret ? secretKeys(secret) : undefined,
    ...tokenSource(sopsSecret, secret, pods),
    crds: Object.fromEntries(crds),
    declared,
    log,
  };
}

/** The log's last lines; a log the API server cannot serve (e.g. the kubelet has none) is reported, not thrown. */
async function podLog(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
): Promise<LogObservation> {
  try {
    const log = await orNotFound(
      core.readNamespacedPodLog({
        name,
        namespace,
        container: "external-dns",
        tailLines: LOG_TAIL_LINES,
      }),
    );
    return { lines: (log ?? "").split("\n").filter((line) => line.trim() !== "") };
  } catch (error) {
    return { unreadable: apiMessage(error) };
  }
}

export function deploymentObservation(
  namespaceExists: boolean,
  deployment: k8s.V1Deployment | undefined,
  pods: k8s.V1Pod[],
): DeploymentObservation {
  const container = deployment?.spec?.template.spec?.containers.find(
    (c) => c.name === "external-dns",
  );
  return {
    namespaceExists,
    deployment: deployment && {
      replicas: deployment.spec?.replicas ?? 1,
      availableReplicas: deployment.status?.availableReplicas ?? 0,
      args: container?.args ?? [],
    },
    pods: pods.map((pod) => ({
      name: pod.metadata?.name ?? "",
      ready:
        pod.status?.conditions?.some(
          (condition) => condition.type === "Ready" && condition.status === "True",
        ) ?? false,
      restarts: (pod.status?.containerStatuses ?? []).reduce(
        (sum, status) => sum + status.restartCount,
        0,
      ),
    })),
  };
}

export function sopsSecretMessage(sopsSecret: unknown): string | null | undefined {
  if (sopsSecret === undefined) return undefined;
  return (sopsSecret as { status?: { message?: string } }).status?.message ?? null;
}

/** Who writes the SopsSecret, when the Secret last changed, when the oldest running pod started. */
export function tokenSource(
  sopsSecret: unknown,
  secret: k8s.V1Secret | undefined,
  pods: k8s.V1Pod[],
): Pick<SecretChainObservation, "sopsSecretWrittenByPulumi" | "secretChangedAt" | "podStartedAt"> {
  const managers = (sopsSecret as k8s.V1Secret | undefined)?.metadata?.managedFields ?? [];
  return {
    sopsSecretWrittenByPulumi:
      sopsSecret === undefined
        ? undefined
        : managers.some((field) => (field.manager ?? "").startsWith("pulumi-kubernetes")),
    secretChangedAt: secretChangedAt(secret),
    podStartedAt: oldestPodStart(pods),
  };
}

/** The Secret's key names; its values are dropped here and go no further. */
export function secretKeys(secret: k8s.V1Secret): string[] {
  return Object.keys({ ...secret.data, ...secret.stringData }).sort();
}
