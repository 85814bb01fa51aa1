/**
 * Gateway API CRDs that external-dns's gateway sources watch. external-dns
 * lists each kind at one API version, and fails at start-up when the cluster
 * does not serve it ("failed to sync *v1alpha2.TCPRoute"), so the program
 * checks the CRDs and their served versions before it changes anything (see
 * ExternalDns), and only warns when it cannot ask.
 */
import type { Source } from "../stacks/options";
import type { OptionName } from "../stacks/settings";
import { type ExternalDnsVersion, release } from "./externalDnsReleases";

const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/** A CRD and the API version external-dns lists it at. */
export interface RequiredCrd {
  name: string;
  version: string;
}

/**
 * The versions external-dns reads (its `source/gateway_*.go` informers):
 * Gateways, HTTPRoutes and GRPCRoutes at v1; TLSRoutes at v1alpha2 up to 0.21
 * and at v1 from 0.22 (externalDnsReleases.ts); TCP and UDP routes still at
 * v1alpha2, which the Gateway API's standard channel (v1.6) does not serve.
 * Measured with each binary against the loopback cluster (TLSRoute, TCPRoute
 * and UDPRoute served at v1 only): 0.21.0 fails with "failed to sync
 * *v1alpha2.TLSRoute", 0.22.0 and 0.23.0 start; all three fail on TCP and UDP.
 */
const GATEWAYS: RequiredCrd = { name: `gateways.${GATEWAY_API_GROUP}`, version: "v1" };
function routeCrd(source: Source, version: ExternalDnsVersion): RequiredCrd | undefined {
  switch (source) {
    case "gateway-httproute":
      return { name: `httproutes.${GATEWAY_API_GROUP}`, version: "v1" };
    case "gateway-grpcroute":
      return { name: `grpcroutes.${GATEWAY_API_GROUP}`, version: "v1" };
    case "gateway-tlsroute":
      return { name: `tlsroutes.${GATEWAY_API_GROUP}`, version: release(version).tlsRouteVersion };
    case "gateway-tcproute":
      return { name: `tcproutes.${GATEWAY_API_GROUP}`, version: "v1alpha2" };
    case "gateway-udproute":
      return { name: `udproutes.${GATEWAY_API_GROUP}`, version: "v1alpha2" };
    default:
      return undefined;
  }
}

/** The CRDs the configured sources need at this external-dns version: each route kind, plus Gateways for any of them. */
export function requiredGatewayCrds(
  sources: readonly Source[],
  version: ExternalDnsVersion,
): RequiredCrd[] {
  const routeCrds = sources.flatMap((source) => routeCrd(source, version) ?? []);
  return routeCrds.length === 0 ? [] : [GATEWAYS, ...routeCrds];
}

/** `tcproutes.gateway.networking.k8s.io (v1alpha2)`. */
export function describeCrds(crds: readonly RequiredCrd[]): string {
  return crds.map((crd) => `${crd.name} (${crd.version})`).join(", ");
}

/** A required CRD the cluster lacks (`served` undefined) or does not serve at the needed version. */
export interface CrdShortfall {
  crd: RequiredCrd;
  /** The versions the installed CRD serves; undefined: it is not installed. */
  served?: readonly string[];
}

/** Which required CRDs fall short, given each installed CRD's served versions. */
export function crdShortfalls(
  required: readonly RequiredCrd[],
  servedVersions: (name: string) => readonly string[] | undefined,
): CrdShortfall[] {
  return required.flatMap((crd) => {
    const served = servedVersions(crd.name);
    if (served === undefined) return [{ crd }];
    return served.includes(crd.version) ? [] : [{ crd, served }];
  });
}

/** Where the Gateway API CRDs come from: the experimental channel when a route is read at v1alpha2. */
export function gatewayApiInstallHint(
  required: readonly RequiredCrd[],
  version: ExternalDnsVersion,
): string {
  const alpha = required.filter((crd) => crd.version === "v1alpha2").map((crd) => crd.name);
  if (alpha.length === 0)
    return (
      "install the Gateway API CRDs, standard channel v1.6 or later: kubectl apply --server-side -f " +
      "https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/standard-install.yaml"
    );
  return (
    `install the Gateway API CRDs, experimental channel v1.6 or later (external-dns ${version} reads ${alpha.join(", ")} at v1alpha2, ` +
    "which the standard channel no longer serves): kubectl apply --server-side -f " +
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/<version>/experimental-install.yaml"
  );
}

/** The error when a reachable cluster lacks CRDs, or versions of them, that the gateway sources need. */
export function missingCrdsMessage(
  shortfalls: readonly CrdShortfall[],
  sources: readonly Source[],
  name: OptionName,
  version: ExternalDnsVersion,
): string {
  const absent = shortfalls.filter((shortfall) => shortfall.served === undefined);
  const unserved = shortfalls.filter((shortfall) => shortfall.served !== undefined);
  const problems = [
    ...(absent.length === 0
      ? []
      : [`the cluster lacks the Gateway API CRDs ${absent.map(({ crd }) => crd.name).join(", ")}`]),
    ...unserved.map(
      ({ crd, served }) =>
        `${crd.name} serves ${served?.join(", ") || "no version"}, not ${crd.version}, the version external-dns ${version} reads`,
    ),
  ];
  return (
    `${name("sources")} includes ${gatewaySources(sources)}, but ${problems.join("; ")}; ` +
    `external-dns would fail at start-up. Nothing was changed. ${capitalize(gatewayApiInstallHint(requiredGatewayCrds(sources, version), version))}, or remove the gateway sources.`
  );
}

/** The warning when the cluster could not be asked (e.g. not reachable at preview). */
export function uncheckedCrdsMessage(
  crds: readonly RequiredCrd[],
  sources: readonly Source[],
  reason: string,
): string {
  return (
    `could not check that the cluster has the Gateway API CRDs ${describeCrds(crds)} that ${gatewaySources(sources)} need (${reason}); ` +
    "the check runs again on every preview and up."
  );
}

function gatewaySources(sources: readonly Source[]): string {
  return sources.filter((source) => source.startsWith("gateway-")).join(", ");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
