/**
 * A few reads and writes against the Kubernetes API of `KUBECONFIG`, as raw JSON
 * (no typed models, so a scan sees every field exactly as the API serves it).
 * Credentials and TLS come from @kubernetes/client-node's KubeConfig.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    managedFields?: { manager?: string; operation?: string; time?: string }[];
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  // biome-ignore lint/suspicious/noExplicitAny: raw API objects, read field by field in the tests
  [field: string]: any;
}

/** Where an object lives: `apiVersion` ("v1", "apps/v1", …), resource plural, namespace, name. */
export interface ObjectRef {
  apiVersion: string;
  plural: string;
  namespace?: string;
  name?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

export function objectPath({ apiVersion, plural, namespace, name }: ObjectRef): string {
  const base = apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${plural}${name ? `/${name}` : ""}`;
}

export class Cluster {
  readonly #config: KubeConfig;

  constructor(config?: KubeConfig) {
    this.#config = config ?? Cluster.#fromEnvironment();
  }

  static #fromEnvironment(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromDefault();
    return config;
  }

  /** One API request; the body parsed as JSON. Throws ApiError on a status >= 400. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<T> {
    const server = this.#config.getCurrentCluster()?.server;
    if (!server) throw new Error("the kubeconfig names no current cluster");
    const url = new URL(path, server);
    const options: RequestOptions = {
      method,
      headers: { accept: "application/json", "content-type": contentType },
      timeout: 30_000,
    };
    await this.#config.applyToHTTPSOptions(options);
    const send = url.protocol === "http:" ? httpRequest : httpsRequest;
    const text = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
    if (text.status >= 400) throw new ApiError(text.status, text.text, `${method} ${path}`);
    return (text.text === "" ? undefined : JSON.parse(text.text)) as T;
  }

  /** The object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await this.request<KubeObject>("GET", objectPath(ref));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async list(ref: ObjectRef, labelSelector?: string): Promise<KubeObject[]> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
    const list = await this.request<{ items?: KubeObject[] }>("GET", `${objectPath(ref)}${query}`);
    return list.items ?? [];
  }

  /** Creates the object in the collection of `ref` (its name, if any, is the object's business). */
  async create(ref: ObjectRef, object: unknown): Promise<KubeObject> {
    return this.request<KubeObject>("POST", objectPath({ ...ref, name: undefined }), object);
  }

  /** A JSON merge patch of the object, or of its `status` subresource. */
  async patch(ref: ObjectRef, patch: unknown, subresource?: "status"): Promise<KubeObject> {
    const path = `${objectPath(ref)}${subresource ? `/${subresource}` : ""}`;
    return this.request<KubeObject>("PATCH", path, patch, "application/merge-patch+json");
  }

  /** Deletes the object; true if it existed. */
  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.request("DELETE", objectPath(ref), { propagationPolicy: "Background" });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return false;
      throw error;
    }
  }

  /** Every object of every listable namespaced kind in the namespace (discovered, CRDs included). */
  async namespaceObjects(namespace: string): Promise<KubeObject[]> {
    const kinds = await this.#namespacedKinds();
    const lists = await Promise.all(
      kinds.map(async ({ apiVersion, plural, kind }) => {
        const items = await this.list({ apiVersion, plural, namespace }).catch(() => []);
        return items.map((item) => ({ apiVersion, kind, ...item }));
      }),
    );
    return lists.flat();
  }

  async #namespacedKinds(): Promise<{ apiVersion: string; plural: string; kind: string }[]> {
    const groups = await this.request<{
      groups: { preferredVersion: { groupVersion: string } }[];
    }>("GET", "/apis");
    const versions = ["v1", ...groups.groups.map((group) => group.preferredVersion.groupVersion)];
    const lists = await Promise.all(
      versions.map(async (apiVersion) => {
        const path = apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`;
        const list = await this.request<{
          resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
        }>("GET", path);
        return list.resources
          .filter((r) => r.namespaced && r.verbs.includes("list") && !r.name.includes("/"))
          .map((r) => ({ apiVersion, plural: r.name, kind: r.kind }));
      }),
    );
    return lists.flat();
  }

  /** The namespace's objects, one line each, with deletion state and finalizers: for failure messages. */
  async describeNamespace(namespace: string): Promise<string> {
    const objects = await this.namespaceObjects(namespace).catch((error: Error) => error.message);
    if (typeof objects === "string") return objects;
    return objects
      .map(({ kind, metadata }) => {
        const deleting = metadata.deletionTimestamp
          ? ` deleting since ${metadata.deletionTimestamp}`
          : "";
        const finalizers = metadata.finalizers?.length
          ? ` finalizers ${metadata.finalizers.join(",")}`
          : "";
        return `${kind}/${metadata.name}${deleting}${finalizers}`;
      })
      .join("\n");
  }

  /** Deletes the namespace and waits until it is gone. */
  async deleteNamespace(namespace: string, timeoutMs = 120_000): Promise<void> {
    const ref = { apiVersion: "v1", plural: "namespaces", name: namespace };
    if (!(await this.delete(ref))) return;
    await waitFor(`namespace ${namespace} to be deleted`, timeoutMs, async () =>
      (await this.get(ref)) === undefined ? true : undefined,
    );
  }

  /**
   * Deletes the chart's cluster-scoped objects (ClusterRoleBinding and its
   * ClusterRole) whose binding names a service account in one of `namespaces`:
   * leftovers of an earlier run that did not get to `pulumi destroy`.
   */
  async deleteChartClusterObjects(isOurs: (namespace: string) => boolean): Promise<string[]> {
    const rbac = "rbac.authorization.k8s.io/v1";
    const bindings = await this.list(
      { apiVersion: rbac, plural: "clusterrolebindings" },
      "app.kubernetes.io/name=external-dns",
    );
    const deleted: string[] = [];
    for (const binding of bindings) {
      const subjects: { namespace?: string }[] = binding.subjects ?? [];
      if (!subjects.some((subject) => subject.namespace && isOurs(subject.namespace))) continue;
      await this.delete({
        apiVersion: rbac,
        plural: "clusterrolebindings",
        name: binding.metadata.name,
      });
      await this.delete({ apiVersion: rbac, plural: "clusterroles", name: binding.roleRef.name });
      deleted.push(
        `ClusterRoleBinding/${binding.metadata.name}`,
        `ClusterRole/${binding.roleRef.name}`,
      );
    }
    return deleted;
  }

  /** Why the cluster is unusable for the suite, or undefined. */
  async problem(): Promise<string | undefined> {
    try {
      await this.request("GET", "/version");
    } catch (error) {
      return `the cluster of KUBECONFIG is unreachable: ${(error as Error).message}`;
    }
    const crd = await this.get({
      apiVersion: "apiextensions.k8s.io/v1",
      plural: "customresourcedefinitions",
      name: "sopssecrets.isindir.github.com",
    });
    return crd
      ? undefined
      : "the cluster of KUBECONFIG has no SopsSecret CRD (sopssecrets.isindir.github.com): install and run sops-secrets-operator";
  }
}

/**
 * Polls `probe` until it returns something other than undefined, and returns
 * that; throws after `timeoutMs` with what `describe` says about the last state.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  describe: () => Promise<string> = async () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== undefined) return result;
    if (Date.now() > deadline) {
      const seen = await describe().catch((error: Error) => error.message);
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${seen ? `; last seen: ${seen}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
