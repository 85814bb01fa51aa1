/**
 * The Kubernetes objects external-dns makes records for, with the status a
 * controller would give them: nothing allocates addresses in the loopback
 * cluster, so each helper writes the `status` subresource itself, with the
 * fields external-dns 0.21 reads (source/service.go, source/ingress.go,
 * source/gateway.go).
 */
import type { Cluster, KubeObject, ObjectRef } from "./cluster";

/** The prefix external-dns's annotations had up to 0.21 (and keep on every version, annotationPrefix legacy). */
export const LEGACY_PREFIX = "external-dns.alpha.kubernetes.io/";
/** The prefix external-dns reads by default from 0.22.0 on. */
export const CURRENT_PREFIX = "external-dns.kubernetes.io/";
export const HOSTNAME_ANNOTATION = `${LEGACY_PREFIX}hostname`;
const GATEWAY_API = "gateway.networking.k8s.io/v1";

export const serviceRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: "v1",
  plural: "services",
  namespace,
  name,
});

export const ingressRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: "networking.k8s.io/v1",
  plural: "ingresses",
  namespace,
  name,
});

export const gatewayRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: GATEWAY_API,
  plural: "gateways",
  namespace,
  name,
});

export const httpRouteRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: GATEWAY_API,
  plural: "httproutes",
  namespace,
  name,
});

/** A load balancer's address as Kubernetes reports it: an IP, or a hostname (which gets a CNAME). */
export type LoadBalancerAddress = { ip: string } | { hostname: string };

/** A LoadBalancer Service with the hostname annotation (under `prefix`) and its load balancer's addresses. */
export async function loadBalancerService(
  cluster: Cluster,
  namespace: string,
  name: string,
  hostname: string,
  addresses: LoadBalancerAddress[],
  prefix = LEGACY_PREFIX,
): Promise<KubeObject> {
  const ref = serviceRef(namespace, name);
  await cluster.create(ref, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, annotations: { [`${prefix}hostname`]: hostname } },
    spec: {
      type: "LoadBalancer",
      selector: { app: name },
      ports: [{ name: "http", port: 80, targetPort: 8080 }],
    },
  });
  return cluster.patch(ref, { status: { loadBalancer: { ingress: addresses } } }, "status");
}

/** An Ingress with one rule for `host`, its controller's addresses in its status. */
export async function ingress(
  cluster: Cluster,
  namespace: string,
  name: string,
  host: string,
  addresses: LoadBalancerAddress[],
): Promise<KubeObject> {
  const ref = ingressRef(namespace, name);
  await cluster.create(ref, {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace },
    spec: {
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  });
  return cluster.patch(ref, { status: { loadBalancer: { ingress: addresses } } }, "status");
}

/**
 * A Gateway with an HTTP listener and address `ip`, and an HTTPRoute for
 * `hostname` attached to it and accepted (what a Gateway controller would
 * report). external-dns publishes the route's hostname at the Gateway's address.
 */
export async function gatewayRoute(
  cluster: Cluster,
  namespace: string,
  name: string,
  hostname: string,
  ip: string,
): Promise<void> {
  const gateway = gatewayRef(namespace, name);
  await cluster.create(gateway, {
    apiVersion: GATEWAY_API,
    kind: "Gateway",
    metadata: { name, namespace },
    spec: {
      gatewayClassName: "e2e",
      listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
    },
  });
  await cluster.patch(
    gateway,
    { status: { addresses: [{ type: "IPAddress", value: ip }] } },
    "status",
  );
  const route = httpRouteRef(namespace, name);
  await cluster.create(route, {
    apiVersion: GATEWAY_API,
    kind: "HTTPRoute",
    metadata: { name, namespace },
    spec: {
      parentRefs: [{ name }],
      hostnames: [hostname],
      rules: [{ backendRefs: [{ name, port: 80 }] }],
    },
  });
  await cluster.patch(
    route,
    {
      status: {
        parents: [
          {
            parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name },
            controllerName: "example.com/e2e-gateway-controller",
            conditions: [
              {
                type: "Accepted",
                status: "True",
                reason: "Accepted",
                message: "accepted by the e2e suite",
                observedGeneration: 1,
                lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
              },
            ],
          },
        ],
      },
    },
    "status",
  );
}
