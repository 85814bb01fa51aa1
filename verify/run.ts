/**
 * `npm run verify`: reads the stack's config, derives what the deployment
 * should look like from the program itself (through the offline plan), then
 * compares it with the live cluster, Cloudflare and DNS.
 */

import type * as k8s from "@kubernetes/client-node";
import { CLOUDFLARE_API, tokensPath } from "../components/cloudflareRecords";
import { clusterProblem } from "../components/clusterAccess";
import { annotationReading } from "../components/externalDnsReleases";
import { requiredGatewayCrds } from "../components/gatewayApi";
import { managesHostname } from "../components/hostnameFilter";
import { buildPlan } from "../plan/report";
import { isCloudflareId } from "../stacks/formats";
import { loadSettings, projectKeys, type Settings } from "../stacks/settings";
import {
  type CheckResult,
  deploymentChecks,
  type Expectations,
  gatewayApiChecks,
  leftoverTokenChecks,
  legacyOwnershipChecks,
  logChecks,
  orphanChecks,
  ownerRenameChecks,
  ownershipMoveChecks,
  recordChecks,
  secretChainChecks,
  stackTokenNamePrefix,
  type TokenListing,
  type TokenObservation,
  tokenChecks,
  tokenSourceChecks,
} from "./checks";
import { type CloudflareAccess, listTokensNamed, listZoneRecords, verifyToken } from "./cloudflare";
import { observeCluster } from "./cluster";
import { newResolver, resolveHostnames } from "./dns";

export interface VerifyOptions {
  stack: string;
  config: Record<string, string>;
  kubeConfig: k8s.KubeConfig;
  /** `--kubeconfig`, when given: where a missing or broken kubeconfig was looked for. */
  kubeconfigPath?: string;
  /** The token to check; undefined: token and orphan checks are skipped with a warning. */
  cloudflareToken?: string;
  /** The bootstrap token (it may list tokens); undefined: the leftover-token check warns. */
  bootstrapToken?: string;
  /** Cloudflare API base URL; default Cloudflare's. The CLI takes the stack's `cloudflare:baseUrl`. */
  cloudflareBaseUrl?: string;
  /** DNS server `host:port`; undefined: the system resolver. */
  resolver?: string;
  now?: Date;
}

export interface Verification {
  stack: string;
  results: CheckResult[];
  /** Config errors: nothing was checked. */
  errors: string[];
}

export async function verify(options: VerifyOptions): Promise<Verification> {
  const plan = await buildPlan(options.stack, options.config);
  const loaded = loadSettings(projectKeys(options.config));
  if (!plan.valid || loaded.kind === "invalid")
    return { stack: options.stack, results: [], errors: plan.errors };
  if (loaded.kind === "disabled" || !plan.chart) {
    return {
      stack: options.stack,
      errors: [],
      results: [
        {
          area: "deployment",
          check: "enabled",
          status: "pass",
          detail: "external-dns:enabled is false: nothing to verify",
        },
      ],
    };
  }
  const expected = expectations(loaded.settings, plan.chart.containerArgs);
  let cluster: Awaited<ReturnType<typeof observeCluster>>;
  try {
    cluster = await observeCluster(options.kubeConfig, {
      namespace: expected.namespace,
      sources: loaded.settings.sources,
      annotationPrefixes: annotationReading(
        loaded.settings.externalDnsVersion,
        loaded.settings.annotationPrefix,
      ).prefixes,
      requiredCrds: expected.requiredCrds.map((crd) => crd.name),
    });
  } catch (error) {
    return {
      stack: options.stack,
      errors: [],
      results: [
        {
          area: "deployment",
          check: "cluster",
          status: "fail",
          detail: clusterProblem(error, options.kubeConfig, options.kubeconfigPath),
          hint: "nothing else was checked: verify reads the deployment from the cluster first",
        },
      ],
    };
  }

  const access: CloudflareAccess | undefined = options.cloudflareToken
    ? {
        token: options.cloudflareToken,
        accountId: loaded.settings.tokenOwner === "account" ? loaded.settings.accountId : undefined,
        baseUrl: options.cloudflareBaseUrl,
      }
    : undefined;
  const token: TokenObservation = access
    ? await verifyToken(access)
    : { kind: "unavailable", reason: "no token given" };
  const accountId =
    loaded.settings.tokenOwner === "account" ? loaded.settings.accountId : undefined;
  const tokensBase = `${options.cloudflareBaseUrl ?? CLOUDFLARE_API}${tokensPath(accountId)}`;
  const tokenListing: TokenListing = options.bootstrapToken
    ? await listTokensNamed(
        { token: options.bootstrapToken, accountId, baseUrl: options.cloudflareBaseUrl },
        stackTokenNamePrefix(options.stack),
      )
    : { kind: "unavailable", reason: "no bootstrap token given" };
  const zoneIds = (cluster.deployment?.args ?? [])
    .filter((arg) => arg.startsWith("--zone-id-filter="))
    .map((arg) => arg.slice("--zone-id-filter=".length))
    .filter(isCloudflareId);
  const zoneRecords = access ? await listZoneRecords(access, zoneIds) : undefined;
  const resolved = await resolveHostnames(
    newResolver(options.resolver),
    cluster.declared
      .map((entry) => entry.hostname)
      .filter((hostname) => managesHostname(expected, hostname)),
    expected.txtPrefix,
  );

  return {
    stack: options.stack,
    errors: [],
    results: [
      ...deploymentChecks(cluster, expected),
      ...secretChainChecks(cluster, expected.namespace),
      ...tokenSourceChecks(cluster, expected.namespace),
      ...tokenChecks(token, options.now ?? new Date(), expected.tokenAllowedCidrs),
      ...leftoverTokenChecks(tokenListing, token, (id) => `${tokensBase}/${id}`),
      ...gatewayApiChecks(cluster.crds, expected),
      ...recordChecks(cluster.declared, resolved, expected),
      ...orphanChecks(zoneRecords, cluster.declared, expected),
      ...legacyOwnershipChecks(zoneRecords, expected),
      ...ownershipMoveChecks(zoneRecords, expected),
      ...ownerRenameChecks(zoneRecords, cluster.declared, expected),
      ...logChecks(cluster.log),
    ],
  };
}

export function expectations(settings: Settings, containerArgs: string[]): Expectations {
  return {
    namespace: settings.namespace,
    containerArgs,
    dryRun: settings.dryRun,
    policy: settings.policy,
    txtOwnerId: settings.txtOwnerId,
    txtPrefix: settings.txtPrefix,
    migrateFromTxtPrefix: settings.migrateFromTxtPrefix,
    migrateFromTxtOwnerId: settings.migrateFromTxtOwnerId,
    domainFilters: settings.domainFilters,
    excludeDomains: settings.excludeDomains,
    regexDomainFilter: settings.regexDomainFilter,
    regexDomainExclusion: settings.regexDomainExclusion,
    requiredCrds: requiredGatewayCrds(settings.sources, settings.externalDnsVersion),
    externalDnsVersion: settings.externalDnsVersion,
    tokenAllowedCidrs: settings.tokenAllowedCidrs,
  };
}
