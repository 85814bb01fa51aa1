/**
 * Values for the kubernetes-sigs external-dns chart (1.21.1 and 1.22.0), and
 * the container arguments the chart renders from them. Only keys of both
 * charts' values.schema.json are used: the chart silently ignores unknown keys.
 */
import { createHash } from "node:crypto";
import type { Settings } from "../stacks/settings";
import { annotationReading, chartAppVersion } from "./externalDnsReleases";
import { TOKEN_SECRET_KEY, TOKEN_SECRET_NAME } from "./sopsSecret";

export const CHART_NAME = "external-dns";
export const RELEASE_NAME = "external-dns";

/** Pod annotation whose change rolls the pods when the token or its recipients change. */
export const SECRET_CHECKSUM_ANNOTATION = "checksum/cloudflare-sops-secret";

/** What decides the Secret's content: a new token (name, expiry, owner) or new recipients. */
export interface TokenRollout {
  tokenName: string;
  tokenExpiresOn?: string;
  /** The account that owns the token; undefined: the bootstrap token's user. */
  tokenAccountId?: string;
  recipients: readonly string[];
  namespace: string;
}

/**
 * The pod annotation's value: a digest of inputs known at preview, so the dry
 * run renders every chart object. It changes exactly when a new token is minted
 * (a rotation, a new expiry, a new owner: each replaces the token) or the
 * SopsSecret is encrypted for other recipients, and never otherwise; zone and
 * IP changes update the token in place and keep its value.
 */
export function tokenRolloutChecksum(rollout: TokenRollout): string {
  const identity = {
    tokenName: rollout.tokenName,
    tokenExpiresOn: rollout.tokenExpiresOn ?? null,
    tokenAccountId: rollout.tokenAccountId ?? null,
    recipients: [...rollout.recipients].sort(),
    namespace: rollout.namespace,
  };
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex");
}

/** The chart's defaults for values this program does not set but that appear in the arguments. */
const CHART_DEFAULTS = { logLevel: "info", logFormat: "text" } as const;

export interface ChartValues {
  /** Only when the stack runs another external-dns than the chart's appVersion. */
  image?: { tag: string };
  provider: { name: "cloudflare" };
  env: {
    name: string;
    valueFrom: { secretKeyRef: { name: string; key: string } };
  }[];
  sources: string[];
  policy: string;
  registry: "txt";
  txtOwnerId: string;
  txtPrefix: string;
  domainFilters: string[];
  excludeDomains: string[];
  /** `--annotation-prefix`, where the version's default is not the prefix the stack reads. */
  annotationPrefix?: string;
  interval: string;
  triggerLoopOnEvent: boolean;
  extraArgs: string[];
  podAnnotations: Record<string, string>;
  resources: Settings["resources"];
}

/**
 * Flags that have no chart value of their own. A zone-scoped token cannot list
 * zones, so external-dns must be told the zone IDs, or it gets 403s.
 */
export function extraArgs(settings: Settings, zoneIds: readonly string[]): string[] {
  return [
    ...zoneIds.map((id) => `--zone-id-filter=${id}`),
    settings.proxied ? "--cloudflare-proxied" : "--no-cloudflare-proxied",
    `--cloudflare-dns-records-per-page=${settings.recordsPerPage}`,
    ...(settings.regexDomainFilter ? [`--regex-domain-filter=${settings.regexDomainFilter}`] : []),
    ...(settings.regexDomainExclusion
      ? [`--regex-domain-exclusion=${settings.regexDomainExclusion}`]
      : []),
    ...(settings.dryRun ? ["--dry-run"] : []),
    ...annotationReading(settings.externalDnsVersion, settings.annotationPrefix).extraArgs,
  ];
}

/** The chart values: Cloudflare, the token from the operator's Secret, and the settings. */
export function chartValues(
  settings: Settings,
  zoneIds: readonly string[],
  rolloutChecksum: string,
): ChartValues {
  const { chartValue: annotationPrefix } = annotationReading(
    settings.externalDnsVersion,
    settings.annotationPrefix,
  );
  return {
    ...(settings.externalDnsVersion !== chartAppVersion(settings.chartVersion) && {
      image: { tag: `v${settings.externalDnsVersion}` },
    }),
    provider: { name: "cloudflare" },
    env: [
      {
        name: TOKEN_SECRET_KEY,
        valueFrom: { secretKeyRef: { name: TOKEN_SECRET_NAME, key: TOKEN_SECRET_KEY } },
      },
    ],
    sources: [...settings.sources],
    policy: settings.policy,
    registry: "txt",
    txtOwnerId: settings.txtOwnerId,
    txtPrefix: settings.txtPrefix,
    domainFilters: [...settings.domainFilters],
    excludeDomains: [...settings.excludeDomains],
    ...(annotationPrefix && { annotationPrefix }),
    interval: settings.interval,
    triggerLoopOnEvent: settings.triggerLoopOnEvent,
    extraArgs: extraArgs(settings, zoneIds),
    podAnnotations: { [SECRET_CHECKSUM_ANNOTATION]: rolloutChecksum },
    resources: settings.resources,
  };
}

/**
 * The external-dns container arguments, in the order the chart's deployment
 * template renders them from `values` (the same in 1.21.1 and 1.22.0).
 */
export function containerArgs(values: ChartValues): string[] {
  return [
    `--log-level=${CHART_DEFAULTS.logLevel}`,
    `--log-format=${CHART_DEFAULTS.logFormat}`,
    `--interval=${values.interval}`,
    ...(values.triggerLoopOnEvent ? ["--events"] : []),
    ...values.sources.map((source) => `--source=${source}`),
    `--policy=${values.policy}`,
    `--registry=${values.registry}`,
    ...(values.txtOwnerId ? [`--txt-owner-id=${values.txtOwnerId}`] : []),
    ...(values.txtPrefix ? [`--txt-prefix=${values.txtPrefix}`] : []),
    ...values.domainFilters.map((domain) => `--domain-filter=${domain}`),
    ...values.excludeDomains.map((domain) => `--exclude-domains=${domain}`),
    ...(values.annotationPrefix ? [`--annotation-prefix=${values.annotationPrefix}`] : []),
    `--provider=${values.provider.name}`,
    ...values.extraArgs,
  ];
}

/** Where Helm fetches the chart from: a classic https repository or an OCI registry. */
export function chartSource(repository: string): {
  chart: string;
  repositoryOpts?: { repo: string };
} {
  if (repository.startsWith("oci://")) {
    return { chart: `${repository.replace(/\/+$/, "")}/${CHART_NAME}` };
  }
  return { chart: CHART_NAME, repositoryOpts: { repo: repository } };
}
