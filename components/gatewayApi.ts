/**
 * Gateway API CRDs that external-dns's gateway sources watch. Without them,
 * external-dns fails at start-up, so the program checks for them before it
 * changes anything (see ExternalDns), and only warns when it cannot ask.
 */
import type { Source } from "../stacks/options";

const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

const ROUTE_CRDS: Partial<Record<Source, string>> = {
  "gateway-httproute": `httproutes.${GATEWAY_API_GROUP}`,
  "gateway-grpcroute": `grpcroutes.${GATEWAY_API_GROUP}`,
  "gateway-tlsroute": `tlsroutes.${GATEWAY_API_GROUP}`,
  "gateway-tcproute": `tcproutes.${GATEWAY_API_GROUP}`,
  "gateway-udproute": `udproutes.${GATEWAY_API_GROUP}`,
};

/** The CRDs the configured sources need: each route kind, plus Gateways for any of them. */
export function requiredGatewayCrds(sources: readonly Source[]): string[] {
  const routeCrds = sources.flatMap((source) => ROUTE_CRDS[source] ?? []);
  return routeCrds.length === 0 ? [] : [`gateways.${GATEWAY_API_GROUP}`, ...routeCrds];
}

/** Where the Gateway API CRDs come from (the standard channel serves every route kind external-dns reads since v1.6). */
export const GATEWAY_API_INSTALL_HINT =
  "install the Gateway API CRDs, standard channel v1.6 or later (it includes TLSRoute, TCPRoute and UDPRoute; " +
  "older releases carry those only in the experimental channel): kubectl apply --server-side -f " +
  "https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/standard-install.yaml";

/** The error when a reachable cluster lacks CRDs that the gateway sources need. */
export function missingCrdsMessage(missing: readonly string[], sources: readonly Source[]): string {
  return (
    `external-dns:sources includes ${gatewaySources(sources)}, but the cluster lacks the Gateway API CRDs ${missing.join(", ")}; ` +
    `external-dns would fail at start-up. Nothing was changed. ${capitalize(GATEWAY_API_INSTALL_HINT)}, or remove the gateway sources.`
  );
}

/** The warning when the cluster could not be asked (e.g. not reachable at preview). */
export function uncheckedCrdsMessage(
  crds: readonly string[],
  sources: readonly Source[],
  reason: string,
): string {
  return (
    `could not check that the cluster has the Gateway API CRDs ${crds.join(", ")} that ${gatewaySources(sources)} need (${reason}); ` +
    "the check runs again on every preview and up."
  );
}

function gatewaySources(sources: readonly Source[]): string {
  return sources.filter((source) => ROUTE_CRDS[source] !== undefined).join(", ");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
