/**
 * The objects the program promises in the cluster (docs/architecture.md: "How
 * the pieces connect"), by the names it documents, and reads of them.
 */
import { type Cluster, type KubeObject, type ObjectRef, waitFor } from "./cluster";

export const SOPS_SECRET_NAME = "external-dns-cloudflare";
export const TOKEN_SECRET_NAME = "cloudflare-api-token";
export const TOKEN_SECRET_KEY = "CF_API_TOKEN";
export const RELEASE_NAME = "external-dns";
export const CONTAINER_NAME = "external-dns";

export const sopsSecretRef = (namespace: string): ObjectRef => ({
  apiVersion: "isindir.github.com/v1alpha3",
  plural: "sopssecrets",
  namespace,
  name: SOPS_SECRET_NAME,
});

export const tokenSecretRef = (namespace: string): ObjectRef => ({
  apiVersion: "v1",
  plural: "secrets",
  namespace,
  name: TOKEN_SECRET_NAME,
});

export const deploymentRef = (namespace: string): ObjectRef => ({
  apiVersion: "apps/v1",
  plural: "deployments",
  namespace,
  name: RELEASE_NAME,
});

/** The operator's `.status.message` on the SopsSecret (undefined: no object or no status). */
export async function sopsSecretStatus(
  cluster: Cluster,
  namespace: string,
): Promise<string | undefined> {
  return (await cluster.get(sopsSecretRef(namespace)))?.status?.message;
}

/** The token the Secret holds, decoded (undefined: no Secret or no key). */
export async function secretToken(
  cluster: Cluster,
  namespace: string,
): Promise<string | undefined> {
  const encoded = (await cluster.get(tokenSecretRef(namespace)))?.data?.[TOKEN_SECRET_KEY];
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString();
}

/** The Deployment once it has rolled out its current generation and has an available replica. */
export function availableDeployment(cluster: Cluster, namespace: string, timeoutMs = 120_000) {
  const ref = deploymentRef(namespace);
  return waitFor(
    `Deployment ${namespace}/${RELEASE_NAME} to be available`,
    timeoutMs,
    async () => {
      const deployment = await cluster.get(ref);
      const status = deployment?.status;
      const done =
        status &&
        status.observedGeneration === deployment.metadata.generation &&
        (status.availableReplicas ?? 0) >= 1 &&
        (status.updatedReplicas ?? 0) === (deployment.spec?.replicas ?? 1);
      return done ? deployment : undefined;
    },
    async () => JSON.stringify((await cluster.get(ref))?.status ?? "no Deployment"),
  );
}

export function containerArgs(deployment: KubeObject): string[] | undefined {
  const containers: { name: string; args?: string[] }[] =
    deployment.spec?.template?.spec?.containers ?? [];
  return containers.find((container) => container.name === CONTAINER_NAME)?.args;
}

/** The Deployment's ReplicaSets: one per pod template it has rolled out. */
export async function replicaSets(cluster: Cluster, deployment: KubeObject): Promise<KubeObject[]> {
  const all = await cluster.list({
    apiVersion: "apps/v1",
    plural: "replicasets",
    namespace: deployment.metadata.namespace,
  });
  return all.filter((replicaSet) =>
    replicaSet.metadata.ownerReferences?.some((owner) => owner.uid === deployment.metadata.uid),
  );
}
