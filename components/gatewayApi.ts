/**
 * Gateway API CRDs that external-dns's gateway sources watch. Without them,
 * external-dns fails at start-up, so the program checks for them at preview.
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

/**
 * Logged before the CRDs are read. If a read then fails with "does not exist",
 * this line says why the CRDs are needed and what to do.
 */
export function missingCrdHint(crds: readonly string[], sources: readonly Source[]): string {
  const gatewaySources = sources.filter((source) => source.startsWith("gateway-")).join(", ");
  return (
    `external-dns:sources includes ${gatewaySources}, so the Gateway API CRDs ${crds.join(", ")} must be installed. ` +
    "If reading one fails with 'does not exist', install the Gateway API CRDs (standard channel; " +
    "experimental for TLSRoute, TCPRoute and UDPRoute) or remove the gateway sources."
  );
}
