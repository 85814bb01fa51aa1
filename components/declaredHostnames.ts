/**
 * The hostnames Kubernetes objects ask external-dns for: Service hostname
 * annotations, Ingress rule hosts and Gateway API route hostnames. verify
 * checks their records; the program names them when it refuses a migration.
 */
import type * as k8s from "@kubernetes/client-node";
import type { Source } from "../stacks/options";
import { kubernetesClient } from "./kubernetesClient";
import { orNotFound } from "./notFound";

export const HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname";

/** A hostname and the object that asks for it. */
export interface DeclaredHostname {
  hostname: string;
  /** e.g. `ingress/default/app`. */
  source: string;
}

/** Gateway API route kinds with `spec.hostnames`, by external-dns source. */
const ROUTE_PLURALS: Record<string, string> = {
  "gateway-httproute": "httproutes",
  "gateway-grpcroute": "grpcroutes",
  "gateway-tlsroute": "tlsroutes",
};

/** Lists the objects of the given sources, cluster-wide (a route kind without its CRD counts as none). */
export async function readDeclaredHostnames(
  kubeConfig: k8s.KubeConfig,
  sources: readonly (Source | string)[],
): Promise<DeclaredHostname[]> {
  const client = kubernetesClient();
  const core = kubeConfig.makeApiClient(client.CoreV1Api);
  const networking = kubeConfig.makeApiClient(client.NetworkingV1Api);
  const custom = kubeConfig.makeApiClient(client.CustomObjectsApi);
  const services = sources.includes("service")
    ? (await core.listServiceForAllNamespaces()).items
    : [];
  const ingresses = sources.includes("ingress")
    ? (await networking.listIngressForAllNamespaces()).items
    : [];
  const routes: RouteObject[] = [];
  for (const [source, plural] of Object.entries(ROUTE_PLURALS)) {
    if (!sources.includes(source)) continue;
    const list = (await orNotFound(
      custom.listClusterCustomObject({ group: "gateway.networking.k8s.io", version: "v1", plural }),
    )) as { items?: RouteObject[] } | undefined;
    routes.push(...(list?.items ?? []).map((route) => ({ ...route, kind: route.kind ?? plural })));
  }
  return declaredHostnames(services, ingresses, routes);
}

export interface RouteObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { hostnames?: string[] };
}

/** The hostnames Kubernetes objects ask external-dns for, with the object that asks. */
export function declaredHostnames(
  services: k8s.V1Service[],
  ingresses: k8s.V1Ingress[],
  routes: RouteObject[],
): DeclaredHostname[] {
  const from = (kind: string, metadata: { name?: string; namespace?: string } | undefined) =>
    `${kind}/${metadata?.namespace ?? "default"}/${metadata?.name ?? ""}`;
  const declared = [
    ...services.flatMap((service) =>
      (service.metadata?.annotations?.[HOSTNAME_ANNOTATION] ?? "")
        .split(",")
        .map((hostname) => ({ hostname, source: from("service", service.metadata) })),
    ),
    ...ingresses.flatMap((ingress) =>
      (ingress.spec?.rules ?? []).map((rule) => ({
        hostname: rule.host ?? "",
        source: from("ingress", ingress.metadata),
      })),
    ),
    ...routes.flatMap((route) =>
      (route.spec?.hostnames ?? []).map((hostname) => ({
        hostname,
        source: from(String(route.kind).toLowerCase(), route.metadata),
      })),
    ),
  ];
  return declared
    .map((entry) => ({
      ...entry,
      hostname: entry.hostname.trim().replace(/\.$/, "").toLowerCase(),
    }))
    .filter((entry) => entry.hostname !== "" && !entry.hostname.startsWith("*"));
}
