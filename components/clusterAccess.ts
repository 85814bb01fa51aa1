/**
 * Direct reads of the cluster the Kubernetes provider deploys to, for three
 * things Pulumi's resources cannot express: whether CRDs exist, and whether an
 * external-dns already runs in the namespace (both at preview too, and without
 * failing when the cluster cannot be reached), and whether the operator has
 * turned the SopsSecret into the Secret (failing fast when it reports an error
 * instead of waiting for a provider timeout).
 *
 * The program receives a `ClusterReader`; index.ts wires the real one below,
 * the offline plan and the tests one that answers from their world.
 */
import { createHash } from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import type { AnnotatedObject } from "./annotationPrefixes";
import {
  annotatedObjects,
  type DeclaredHostname,
  readDeclaredHostnames,
  readSourceObjects,
} from "./declaredHostnames";
import { kubernetesClient } from "./kubernetesClient";
import { orNotFound } from "./notFound";
import {
  oldestPodStart,
  podSelector,
  RESTART_FIELD_MANAGER,
  RESTART_ROLLOUT_TIMEOUT_MS,
  readsStaleToken,
  restartPatch,
  rolledOut,
  secretChangedAt,
  type TokenRestart,
} from "./tokenRestart";
import type { HelmRelease, RunningExternalDns } from "./txtRegistry";

export { orNotFound } from "./notFound";

/** The versions each CRD serves (undefined: not installed), or why that could not be found out. */
export type CrdVersions =
  | { reachable: true; served: Record<string, string[] | undefined> }
  | { reachable: false; reason: string };

/** Where a SopsSecret and the Secret the operator makes from it live. */
export interface SopsSecretTarget {
  namespace: string;
  sopsSecretName: string;
  secretName: string;
  secretKey: string;
}

/** What the cluster shows of a SopsSecret: no secret value, only a digest of it. */
export interface SopsSecretObservation {
  /** The operator's `.status.message`, if it has written one. */
  status?: string;
  /** SHA-256 (hex) of the Secret's value at `secretKey`, if the Secret has one. */
  secretValueSha256?: string;
}

/**
 * An external-dns already running in the namespace, or why that is unknown.
 * `declared` lists the hostnames the cluster declares (Service annotations read
 * under `prefixes`): a cluster-wide read, made only when a refusal has to name them.
 */
export type RunningExternalDnsLookup =
  | {
      reachable: true;
      running?: RunningExternalDns;
      declared(prefixes: readonly string[]): Promise<DeclaredHostname[]>;
    }
  | { reachable: false; reason: string };

/** The objects of the watched sources that carry external-dns annotations, or why they could not be read. */
export type AnnotatedObjectsLookup =
  | { reachable: true; objects: AnnotatedObject[] }
  | { reachable: false; reason: string };

export interface ClusterReader {
  /** The Kubernetes provider renders YAML instead of applying it: there is nothing to wait for. */
  rendersOnly: boolean;
  /** The cluster is created in this deployment: that it cannot be read yet is expected. */
  awaitingCluster?: boolean;
  /** Whether the API server answers at all. */
  probe(): Promise<{ reachable: true } | { reachable: false; reason: string }>;
  servedCrdVersions(names: readonly string[]): Promise<CrdVersions>;
  /** The external-dns Deployment in `namespace`, if any, and (on demand) the hostnames `sources` declare. */
  runningExternalDns(
    namespace: string,
    sources: readonly string[],
  ): Promise<RunningExternalDnsLookup>;
  /** The objects of `sources` that carry external-dns annotations, cluster-wide. */
  annotatedObjects(sources: readonly string[]): Promise<AnnotatedObjectsLookup>;
  observeSopsSecret(target: SopsSecretTarget): Promise<SopsSecretObservation>;
  /**
   * Restarts the Deployment's pods (as `kubectl rollout restart` does) when
   * they started before the Secret they read last changed, and waits for the
   * rollout (see tokenRestart.ts).
   */
  restartPodsOnStaleToken(target: TokenRestartTarget): Promise<TokenRestart>;
}

/** The Deployment whose pods read the token, and the Secret it comes from. */
export interface TokenRestartTarget {
  namespace: string;
  deployment: string;
  secretName: string;
}

/** The kubeconfig the Kubernetes provider uses. */
export interface KubeconfigSource {
  /** Contents or path (as `kubernetes:kubeconfig` takes it); undefined: KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Context to use; undefined: the kubeconfig's current context. */
  context?: string;
  /** `kubernetes:renderYamlToDirectory` is set: the provider writes YAML and applies nothing. */
  rendersOnly?: boolean;
}

/** How long one read may take before the cluster counts as unreachable. */
export const CLUSTER_READ_TIMEOUT_MS = 10_000;

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** A kubeconfig given as YAML or JSON text (a provider's, a stack output), not as a path. */
function isKubeconfigContent(kubeconfig: string | undefined): kubeconfig is string {
  return (
    kubeconfig !== undefined &&
    (kubeconfig.includes("\n") || kubeconfig.trimStart().startsWith("{"))
  );
}

export function loadKubeConfig(source: KubeconfigSource): k8s.KubeConfig {
  const config = new (kubernetesClient().KubeConfig)();
  const { kubeconfig } = source;
  if (kubeconfig === undefined) config.loadFromDefault();
  else if (isKubeconfigContent(kubeconfig)) config.loadFromString(kubeconfig);
  else config.loadFromFile(kubeconfig);
  if (source.context) config.setCurrentContext(source.context);
  return config;
}

/** Makes the reader of a cluster: the Kubernetes API's, unless `answerClusterReadsWith` replaced it. */
let readerFor: (source: KubeconfigSource) => ClusterReader = (source) =>
  kubernetesApiReader(source);

/** The reader of the cluster a kubeconfig names (components read the cluster through this). */
export function clusterReader(source: KubeconfigSource): ClusterReader {
  return readerFor(source);
}

/**
 * Answers every cluster read with `factory`'s readers instead of the
 * Kubernetes API's (the offline plan and the tests); undefined restores the API.
 */
export function answerClusterReadsWith(
  factory: ((source: KubeconfigSource) => ClusterReader) | undefined,
): void {
  readerFor = factory ?? ((source) => kubernetesApiReader(source));
}

/** A reader for a cluster that cannot be read, saying why. */
export function unreadableCluster(reason: string, rendersOnly = false): ClusterReader {
  return {
    rendersOnly,
    probe: async () => ({ reachable: false, reason }),
    servedCrdVersions: async () => ({ reachable: false, reason }),
    runningExternalDns: async () => ({ reachable: false, reason }),
    annotatedObjects: async () => ({ reachable: false, reason }),
    observeSopsSecret: async () => {
      throw new Error(reason);
    },
    restartPodsOnStaleToken: async () => {
      throw new Error(reason);
    },
  };
}

/** A ClusterReader over the Kubernetes API, with the provider's kubeconfig. */
export function kubernetesApiReader(source: KubeconfigSource): ClusterReader {
  const rendersOnly = source.rendersOnly ?? false;
  let config: k8s.KubeConfig;
  try {
    config = loadKubeConfig(source);
  } catch (error) {
    return unreadableCluster(
      `the kubeconfig could not be loaded (${describeError(error)})`,
      rendersOnly,
    );
  }
  const client = kubernetesClient();
  const kubeconfigPath = isKubeconfigContent(source.kubeconfig) ? undefined : source.kubeconfig;
  const problem = (error: unknown) =>
    clusterProblem(error, config, kubeconfigPath, "set kubernetes:kubeconfig, or KUBECONFIG");
  const extensions = config.makeApiClient(client.ApiextensionsV1Api);
  const core = config.makeApiClient(client.CoreV1Api);
  const custom = config.makeApiClient(client.CustomObjectsApi);
  const apps = config.makeApiClient(client.AppsV1Api);
  return {
    rendersOnly,
    async probe() {
      try {
        await withTimeout(config.makeApiClient(client.VersionApi).getCode());
        return { reachable: true };
      } catch (error) {
        // An answer, even a refusal, means the server is there.
        if (typeof (error as { code?: unknown }).code === "number") return { reachable: true };
        return { reachable: false, reason: problem(error) };
      }
    },
    async runningExternalDns(namespace, sources) {
      try {
        const deployments = await withTimeout(apps.listNamespacedDeployment({ namespace }));
        const found = deployments.items
          .map((deployment) => externalDnsContainer(deployment))
          .find((candidate) => candidate !== undefined);
        // Only an installation to adopt can still be a Helm release (this stack's own has none).
        const running = found && {
          ...found.running,
          helmRelease: found.running.managedByPulumi
            ? undefined
            : await helmReleaseOf(core, found.release),
        };
        // A refusal names what it can: a failed read leaves the names out, not the refusal.
        const declared = (prefixes: readonly string[]) =>
          withTimeout(readDeclaredHostnames(config, sources, prefixes)).catch(() => []);
        return { reachable: true, running, declared };
      } catch (error) {
        return { reachable: false, reason: problem(error) };
      }
    },
    async annotatedObjects(sources) {
      try {
        return {
          reachable: true,
          objects: annotatedObjects(await withTimeout(readSourceObjects(config, sources))),
        };
      } catch (error) {
        return { reachable: false, reason: problem(error) };
      }
    },
    async servedCrdVersions(names) {
      try {
        const found = await Promise.all(
          names.map((name) =>
            orNotFound(withTimeout(extensions.readCustomResourceDefinition({ name }))),
          ),
        );
        const served = Object.fromEntries(
          names.map((name, index) => [name, servedVersions(found[index])]),
        );
        return { reachable: true, served };
      } catch (error) {
        return { reachable: false, reason: problem(error) };
      }
    },
    async observeSopsSecret(target) {
      const [sopsSecret, secret] = await Promise.all([
        orNotFound(
          withTimeout(
            custom.getNamespacedCustomObject({
              group: "isindir.github.com",
              version: "v1alpha3",
              namespace: target.namespace,
              plural: "sopssecrets",
              name: target.sopsSecretName,
            }),
          ),
        ),
        orNotFound(
          withTimeout(
            core.readNamespacedSecret({ name: target.secretName, namespace: target.namespace }),
          ),
        ),
      ]);
      const status = (sopsSecret as { status?: { message?: unknown } } | undefined)?.status
        ?.message;
      const encoded = secret?.data?.[target.secretKey];
      return {
        status: typeof status === "string" ? status : undefined,
        secretValueSha256:
          encoded === undefined ? undefined : sha256Hex(Buffer.from(encoded, "base64").toString()),
      };
    },
    async restartPodsOnStaleToken({ namespace, deployment: name, secretName }) {
      const [deployment, secret] = await Promise.all([
        orNotFound(withTimeout(apps.readNamespacedDeployment({ name, namespace }))),
        orNotFound(withTimeout(core.readNamespacedSecret({ name: secretName, namespace }))),
      ]);
      if (!deployment) return { restarted: false, secretChangedAt: secretChangedAt(secret) };
      const pods = await withTimeout(
        core.listNamespacedPod({ namespace, labelSelector: podSelector(deployment) }),
      );
      const times = {
        secretChangedAt: secretChangedAt(secret),
        podStartedAt: oldestPodStart(pods.items),
      };
      if (!readsStaleToken(times)) return { restarted: false, ...times };
      await withTimeout(
        apps.patchNamespacedDeployment(
          { name, namespace, body: restartPatch(new Date()), fieldManager: RESTART_FIELD_MANAGER },
          client.setHeaderOptions("Content-Type", client.PatchStrategy.StrategicMergePatch),
        ),
      );
      await waitUntil(RESTART_ROLLOUT_TIMEOUT_MS, async () =>
        rolledOut(await withTimeout(apps.readNamespacedDeployment({ name, namespace }))),
      ).catch(() => {
        throw new Error(
          `external-dns was restarted onto the new token, but did not become available within ${RESTART_ROLLOUT_TIMEOUT_MS / 1000}s: kubectl -n ${namespace} rollout status deployment/${name}`,
        );
      });
      return { restarted: true, ...times };
    },
  };
}

/** Polls `done` every second until it holds; rejects after `timeoutMs`. */
async function waitUntil(timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The versions a CRD serves; undefined when it is not installed. */
export function servedVersions(
  crd: k8s.V1CustomResourceDefinition | undefined,
): string[] | undefined {
  return crd?.spec.versions.filter((version) => version.served).map((version) => version.name);
}

/** Helm 3's annotations on the objects of a release it installed. */
const HELM_RELEASE_NAME = "meta.helm.sh/release-name";
const HELM_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace";

/**
 * A Deployment's external-dns container (by name or image), as a
 * RunningExternalDns, and the Helm release its annotations name, if any.
 */
function externalDnsContainer(
  deployment: k8s.V1Deployment,
): { running: RunningExternalDns; release?: { name: string; namespace: string } } | undefined {
  const container = deployment.spec?.template.spec?.containers.find(
    (candidate) =>
      candidate.name === "external-dns" || /(^|\/)external-dns(:|@|$)/.test(candidate.image ?? ""),
  );
  if (!container) return undefined;
  const { namespace, name, managedFields, annotations } = deployment.metadata ?? {};
  const releaseName = annotations?.[HELM_RELEASE_NAME];
  return {
    running: {
      deployment: `${namespace}/${name}`,
      image: container.image,
      args: container.args ?? [],
      managedByPulumi: (managedFields ?? []).some((field) =>
        (field.manager ?? "").startsWith("pulumi-kubernetes"),
      ),
    },
    release: releaseName
      ? { name: releaseName, namespace: annotations?.[HELM_RELEASE_NAMESPACE] ?? namespace ?? "" }
      : undefined,
  };
}

/** The Secrets in which Helm 3 records a release (labels owner=helm, name=<release>); undefined when there are none. */
async function helmReleaseOf(
  core: k8s.CoreV1Api,
  release: { name: string; namespace: string } | undefined,
): Promise<HelmRelease | undefined> {
  if (!release) return undefined;
  const secrets = await withTimeout(
    core.listNamespacedSecret({
      namespace: release.namespace,
      labelSelector: `owner=helm,name=${release.name}`,
    }),
  );
  const names = secrets.items.map((secret) => secret.metadata?.name ?? "").sort();
  return names.length === 0 ? undefined : { ...release, secrets: names };
}

function withTimeout<T>(request: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${CLUSTER_READ_TIMEOUT_MS / 1000}s`)),
      CLUSTER_READ_TIMEOUT_MS,
    );
  });
  return Promise.race([request, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What went wrong reaching a cluster, as a person would say it: no kubeconfig
 * found (and where it looked), the server unreachable (its URL and the cause),
 * the credentials refused, or an action forbidden (the API server's message
 * names the verb and the resource).
 */
export function clusterProblem(
  error: unknown,
  config: k8s.KubeConfig,
  kubeconfigPath: string | undefined,
  howToPointAtOne = "pass --kubeconfig PATH or set KUBECONFIG",
): string {
  const server = config.getCurrentCluster()?.server;
  // client-node's fallback when it finds no kubeconfig and runs outside a cluster.
  if (server === undefined || (server === "http://localhost:8080" && !kubeconfigPath)) {
    const looked = kubeconfigPath
      ? kubeconfigPath
      : process.env.KUBECONFIG
        ? `KUBECONFIG=${process.env.KUBECONFIG}`
        : "KUBECONFIG (not set) and ~/.kube/config";
    return `no kubeconfig found (looked at ${looked}): ${howToPointAtOne}`;
  }
  const { code } = error as { code?: unknown };
  if (code === 401)
    return `the cluster at ${server} refused the kubeconfig's credentials (401 Unauthorized)`;
  if (code === 403) return `forbidden by the cluster at ${server}: ${apiMessage(error)}`;
  return `the cluster at ${server} could not be reached (${describeError(error)})`;
}

/** The API server's own message from a client-node error, else the error's first line. */
export function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  try {
    const parsed = typeof body === "string" ? JSON.parse(body) : body;
    if (parsed && typeof (parsed as { message?: unknown }).message === "string")
      return (parsed as { message: string }).message;
  } catch {
    // not JSON: fall through
  }
  return String((error as Error).message ?? error).split("\n")[0];
}

/** A short reason without secrets: the HTTP status or the network cause, and the message. */
export function describeError(error: unknown): string {
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  const text = (typeof message === "string" ? message.split("\n")[0] : String(error)).slice(0, 200);
  const causeText = (cause as { message?: unknown } | undefined)?.message;
  if (typeof code === "number") return `HTTP ${code}: ${text}`;
  return typeof causeText === "string" ? `${text}: ${causeText.slice(0, 200)}` : text;
}
