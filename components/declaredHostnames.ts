/**
 * The objects of the sources external-dns watches, and what they ask it for:
 * the hostnames (Service hostname annotations, Ingress rule hosts, Gateway API
 * route hostnames; verify checks their records, a refused takeover and the
 * owner rename name them) and the external-dns annotations they carry (the
 * annotation-prefix check, annotationPrefixes.ts).
 */
import type * as k8s from "@kubernetes/client-node";
import type { Source } from "../stacks/options";
import { type AnnotatedObject, externalDnsAnnotationKeys } from "./annotationPrefixes";
import { kubernetesClient } from "./kubernetesClient";
import { orNotFound } from "./notFound";

/** The annotation a Service names its hostnames in, after the prefix. */
export const HOSTNAME_ANNOTATION_NAME = "hostname";

/** A hostname and the object that asks for it. */
export interface DeclaredHostname {
  hostname: string;
  /** e.g. `ingress/default/app`. */
  source: string;
}

/** Gateway API route kinds, by external-dns source. */
const ROUTE_PLURALS: Record<string, string> = {
  "gateway-httproute": "httproutes",
  "gateway-grpcroute": "grpcroutes",
  "gateway-tlsroute": "tlsroutes",
  "gateway-tcproute": "tcproutes",
  "gateway-udproute": "udproutes",
};

interface ObjectMeta {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
}

export interface RouteObject {
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { hostnames?: string[] };
}

/** The objects of the watched sources, cluster-wide (a kind without its CRD counts as none). */
export interface SourceObjects {
  services: k8s.V1Service[];
  ingresses: k8s.V1Ingress[];
  routes: RouteObject[];
  /** Gateways, when a route source is watched: external-dns reads their target annotations. */
  gateways: RouteObject[];
}

/** Lists the objects of the given sources, cluster-wide. */
export async function readSourceObjects(
  kubeConfig: k8s.KubeConfig,
  sources: readonly (Source | string)[],
): Promise<SourceObjects> {
  const client = kubernetesClient();
  const core = kubeConfig.makeApiClient(client.CoreV1Api);
  const networking = kubeConfig.makeApiClient(client.NetworkingV1Api);
  const custom = kubeConfig.makeApiClient(client.CustomObjectsApi);
  const listGatewayApi = async (plural: string): Promise<RouteObject[]> => {
    // Any served version lists the same objects: v1, else v1alpha2 (TCP and UDP routes).
    for (const version of ["v1", "v1alpha2"]) {
      const list = (await orNotFound(
        custom.listClusterCustomObject({ group: "gateway.networking.k8s.io", version, plural }),
      )) as { items?: RouteObject[] } | undefined;
      if (list) return (list.items ?? []).map((item) => ({ ...item, kind: item.kind ?? plural }));
    }
    return [];
  };
  const routeSources = Object.keys(ROUTE_PLURALS).filter((source) => sources.includes(source));
  const [services, ingresses, routes, gateways] = await Promise.all([
    sources.includes("service")
      ? core.listServiceForAllNamespaces().then((list) => list.items)
      : [],
    sources.includes("ingress")
      ? networking.listIngressForAllNamespaces().then((list) => list.items)
      : [],
    Promise.all(routeSources.map((source) => listGatewayApi(ROUTE_PLURALS[source]))).then((lists) =>
      lists.flat(),
    ),
    routeSources.length > 0 ? listGatewayApi("gateways") : [],
  ]);
  return { services, ingresses, routes, gateways };
}

/** The hostnames the given sources declare, with Service annotations read under `prefixes`. */
export async function readDeclaredHostnames(
  kubeConfig: k8s.KubeConfig,
  sources: readonly (Source | string)[],
  prefixes: readonly string[],
): Promise<DeclaredHostname[]> {
  return declaredHostnames(await readSourceObjects(kubeConfig, sources), prefixes);
}

/** `kind/namespace/name`. */
function sourceName(kind: string, metadata: ObjectMeta | undefined): string {
  return `${kind}/${metadata?.namespace ?? "default"}/${metadata?.name ?? ""}`;
}

/**
 * The hostnames Kubernetes objects ask external-dns for, with the object that
 * asks. A Service's hostname annotation is read under the first of `prefixes`
 * that has one, as external-dns does (on 0.23.0 reading both, the current prefix wins).
 */
export function declaredHostnames(
  objects: Pick<SourceObjects, "services" | "ingresses" | "routes">,
  prefixes: readonly string[],
): DeclaredHostname[] {
  const hostnameAnnotation = (annotations: Record<string, string> | undefined) =>
    prefixes
      .map((prefix) => annotations?.[`${prefix}${HOSTNAME_ANNOTATION_NAME}`])
      .find((value) => value !== undefined) ?? "";
  const declared = [
    ...objects.services.flatMap((service) =>
      hostnameAnnotation(service.metadata?.annotations)
        .split(",")
        .map((hostname) => ({ hostname, source: sourceName("service", service.metadata) })),
    ),
    ...objects.ingresses.flatMap((ingress) =>
      (ingress.spec?.rules ?? []).map((rule) => ({
        hostname: rule.host ?? "",
        source: sourceName("ingress", ingress.metadata),
      })),
    ),
    ...objects.routes.flatMap((route) =>
      (route.spec?.hostnames ?? []).map((hostname) => ({
        hostname,
        source: sourceName(String(route.kind).toLowerCase(), route.metadata),
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

/** Every object that carries external-dns annotations (under either prefix), with their keys. */
export function annotatedObjects(objects: SourceObjects): AnnotatedObject[] {
  const entries: [string, ObjectMeta | undefined][] = [
    ...objects.services.map((service): [string, ObjectMeta | undefined] => [
      sourceName("service", service.metadata),
      service.metadata,
    ]),
    ...objects.ingresses.map((ingress): [string, ObjectMeta | undefined] => [
      sourceName("ingress", ingress.metadata),
      ingress.metadata,
    ]),
    ...[...objects.routes, ...objects.gateways].map((route): [string, ObjectMeta | undefined] => [
      sourceName(String(route.kind).toLowerCase(), route.metadata),
      route.metadata,
    ]),
  ];
  return entries.flatMap(([source, metadata]) => {
    const keys = externalDnsAnnotationKeys(metadata?.annotations);
    return keys.length === 0 ? [] : [{ source, keys }];
  });
}
