/**
 * A local stand-in of the Kubernetes API for the real client
 * (@kubernetes/client-node): fixed JSON answers by path (lists also by label
 * selector), Kubernetes' 404 Status for anything else.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeKubernetesApi {
  /** A kubeconfig (contents) for the stand-in. */
  kubeconfig: string;
  /** Every request other than a GET, in order: what the client changed. */
  writes: { method: string; path: string; contentType?: string; body: unknown }[];
  close(): Promise<void>;
}

export async function startFakeKubernetesApi(
  routes: Record<string, unknown>,
): Promise<FakeKubernetesApi> {
  const writes: FakeKubernetesApi["writes"] = [];
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "", "http://local");
    if (request.method !== "GET") {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      writes.push({
        method: request.method ?? "",
        path: url.pathname,
        contentType: request.headers["content-type"],
        body: text === "" ? undefined : JSON.parse(text),
      });
    }
    const selector = url.searchParams.get("labelSelector");
    const body = routes[selector ? `${url.pathname}?labelSelector=${selector}` : url.pathname];
    response.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    response.end(
      JSON.stringify(body ?? { kind: "Status", status: "Failure", reason: "NotFound", code: 404 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    kubeconfig: kubeconfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    writes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A kubeconfig for an API server at `server` (plain HTTP is allowed only with skip-TLS-verify). */
export function kubeconfigFor(server: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: local, cluster: {server: '${server}', insecure-skip-tls-verify: true}}]`,
    "users: [{name: local, user: {token: not-a-real-token}}]",
    "contexts: [{name: local, context: {cluster: local, user: local}}]",
    "current-context: local",
    "",
  ].join("\n");
}
