/**
 * The arguments of the ExternalDns component, grouped the way a user thinks:
 * zones and token, filters, sources and policy, TXT registry, chart, sops, the
 * cluster. Each argument is one option of stacks/options.ts, which declares its
 * type, default and description once: the component validates its arguments
 * and applies the defaults from there, exactly as a stack's config is, so a
 * stack and a program that builds the component directly behave alike (a test
 * keeps these doc comments in step with the declarations).
 *
 * Plain values, not `pulumi.Input`s, wherever the preview needs the value: the
 * arguments are validated before anything is registered, and they decide which
 * resources exist, the token's name and expiry, and the chart's values, which
 * `pulumi preview` renders in full. Only the kubeconfig may be unknown at
 * preview (a cluster created in the same program).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { OptionKey } from "../stacks/options";
import { type LoadedConfig, type OptionNaming, validateOptions } from "../stacks/settings";

/** A Cloudflare zone the token may edit. */
export interface ExternalDnsZone {
  /** The zone's name, e.g. `example.com`. */
  name: string;
  /** The zone's Cloudflare ID (32 lowercase hex characters). Default: looked up by name through the Cloudflare provider. */
  id?: string;
}

/** The Cloudflare token the component mints with the Cloudflare provider's (bootstrap) token. */
export interface ExternalDnsTokenArgs {
  /** Client IP ranges the token works from (the cluster's egress IPs), as CIDRs. Default: `[]`, any address. */
  allowedCidrs?: string[];
  /** Mint a new token every this many days (1 to 365; no gap: the new one is rolled out before the old one is deleted); the token expires a margin after its rotation. Default: no rotation. */
  rotationDays?: number;
  /** Shifts the rotation calendar by this many days (0 to rotationDays - 1). Default: derived from the stack name. */
  rotationOffsetDays?: number;
  /** A fixed expiry (RFC 3339), for those who rotate by hand; excludes rotationDays. Default: none. */
  expiresOn?: string;
  /** `user`: the token belongs to the bootstrap token's user; `account`: an account-owned token, which survives people leaving (set accountId). Default: `user`. */
  owner?: string;
  /** The Cloudflare account that owns the token (32 lowercase hex characters); required with owner `account`. */
  accountId?: string;
}

/** Which hostnames external-dns manages. */
export interface ExternalDnsFilterArgs {
  /** `--domain-filter` values; each must lie inside one of the zones. Default: the zone names. */
  domainFilters?: string[];
  /** `--exclude-domains` values: subdomains external-dns must never touch. Default: `[]`. */
  excludeDomains?: string[];
  /** `--regex-domain-filter` (Go RE2): only names it matches are managed; with either regex set, the regexes alone decide. Default: none. */
  regexDomainFilter?: string;
  /** `--regex-domain-exclusion` (Go RE2): names it matches are never managed. Default: none. */
  regexDomainExclusion?: string;
}

/** The TXT registry: how external-dns marks the records it owns. */
export interface ExternalDnsRegistryArgs {
  /** Owner ID written into the ownership TXT records; unique per cluster. */
  txtOwnerId: string;
  /** Prefix of the ownership TXT record names; keep %{record_type} and a trailing dot so apex records can be managed. Default: `externaldns-%{record_type}.`. */
  txtPrefix?: string;
  /** The TXT prefix the zones' ownership records are named with now, when txtPrefix changes: after the chart's rollout, this owner's ownership records move from it to txtPrefix. Default: none. */
  migrateFromTxtPrefix?: string;
  /** The owner ID this cluster's ownership records carry now, when txtOwnerId changes: after the chart's rollout, the ownership records of the hostnames this cluster declares move to txtOwnerId. Default: none. */
  migrateFromTxtOwnerId?: string;
}

/** CPU and memory of the external-dns container. */
export interface ExternalDnsQuantities {
  /** A Kubernetes quantity such as `50m`. */
  cpu?: string;
  /** A Kubernetes quantity such as `64Mi`. */
  memory?: string;
}

/** Container resources; given fields override the defaults one by one. */
export interface ExternalDnsResources {
  /** Default: cpu `50m`, memory `64Mi`. */
  requests?: ExternalDnsQuantities;
  /** Default: cpu `100m`, memory `128Mi`. */
  limits?: ExternalDnsQuantities;
}

/** external-dns and its Helm chart (kubernetes-sigs). */
export interface ExternalDnsChartArgs {
  /** Version of the external-dns Helm chart: `1.21.1` or `1.22.0`. Default: `1.22.0`. */
  version?: string;
  /** The external-dns version the chart runs (its image tag): `0.21.0` with chart 1.21.1, `0.22.0` or `0.23.0` with chart 1.22.0. Default: the chart's appVersion. */
  externalDnsVersion?: string;
  /** Helm repository of the chart (https or oci), for mirrors. Default: `https://kubernetes-sigs.github.io/external-dns/`. */
  repository?: string;
  /** Namespace for external-dns and its SopsSecret; created with Pod Security `restricted`. Default: `external-dns`. */
  namespace?: string;
  /** How often external-dns reconciles (a Go duration of at least 1s). Default: `1m`. */
  interval?: string;
  /** Also reconcile on Kubernetes events, not only every interval. Default: `false`. */
  triggerLoopOnEvent?: boolean;
  /** `--dry-run`: external-dns logs the changes it would make and makes none. Default: `false`. */
  dryRun?: boolean;
  /** Create records proxied through Cloudflare. Default: `false`. */
  proxied?: boolean;
  /** `--cloudflare-dns-records-per-page` (1 to 5000): fewer API calls with larger pages. Default: `5000`. */
  recordsPerPage?: number;
  /** Container resources; given fields override the defaults one by one. */
  resources?: ExternalDnsResources;
}

/** The SopsSecret that carries the token into the cluster. */
export interface ExternalDnsSopsArgs {
  /** age public keys that can decrypt the SopsSecret; include the sops-secrets-operator's key. */
  ageRecipients: string[];
  /** Also write the encrypted SopsSecret to this path (a GitOps copy), relative to the working directory. Default: none. */
  secretFile?: string;
}

/** The cluster external-dns runs in. */
export interface ExternalDnsClusterArgs {
  /** The cluster's kubeconfig (contents). The component deploys with a Kubernetes provider of its own made from it, unless a `kubernetes` provider is passed in the resource options, which must point at the same cluster; the checks before any change read this cluster. An Input: it may come from a cluster created in the same program (then the checks warn at preview, when it is unknown). Default: the ambient kubeconfig (KUBECONFIG, `kubernetes:kubeconfig`). */
  kubeconfig?: pulumi.Input<string>;
  /** The kubeconfig context to use. Default: its current context. */
  context?: string;
}

/** The arguments of ExternalDns. */
export interface ExternalDnsArgs {
  /** Cloudflare zones the token may edit; at least one. */
  zones: ExternalDnsZone[];
  /** The scoped Cloudflare token. Default: a user-owned token from any address, without expiry. */
  token?: ExternalDnsTokenArgs;
  /** Which hostnames external-dns manages. Default: every name in the zones. */
  filters?: ExternalDnsFilterArgs;
  /** Kubernetes sources external-dns watches, e.g. service, ingress, gateway-httproute. Default: `["service", "ingress"]`. */
  sources?: string[];
  /** `sync` deletes records whose source is gone; `upsert-only` never deletes; `create-only` never updates. Default: `sync`. */
  policy?: string;
  /** Which annotations external-dns reads: `legacy` keeps `external-dns.alpha.kubernetes.io/` effective on every version (0.23.0 reads `external-dns.kubernetes.io/` too); `current` reads only `external-dns.kubernetes.io/`. The cluster checks refuse a change that would leave annotations unread. Default: `legacy`. */
  annotationPrefix?: string;
  /** The TXT registry: the owner ID, and the prefix of the ownership records. */
  registry: ExternalDnsRegistryArgs;
  /** external-dns and its chart. Default: chart 1.22.0 (external-dns 0.22.0) from the kubernetes-sigs repository, in namespace `external-dns`. */
  chart?: ExternalDnsChartArgs;
  /** The SopsSecret that carries the token. */
  sops: ExternalDnsSopsArgs;
  /** The cluster. Default: the ambient kubeconfig. */
  cluster?: ExternalDnsClusterArgs;
  /** Cloudflare API base URL the program's own steps call (moving or renaming ownership records, deleting leftover tokens), when the Cloudflare provider is pointed elsewhere. Default: the default provider's `cloudflare:baseUrl`, else Cloudflare's. */
  cloudflareBaseUrl?: string;
}

/** Where each option of stacks/options.ts is an argument of the component. */
export const ARGUMENT_PATHS = {
  zones: "zones",
  tokenAllowedCidrs: "token.allowedCidrs",
  tokenRotationDays: "token.rotationDays",
  tokenRotationOffsetDays: "token.rotationOffsetDays",
  tokenExpiresOn: "token.expiresOn",
  tokenOwner: "token.owner",
  accountId: "token.accountId",
  domainFilters: "filters.domainFilters",
  excludeDomains: "filters.excludeDomains",
  regexDomainFilter: "filters.regexDomainFilter",
  regexDomainExclusion: "filters.regexDomainExclusion",
  sources: "sources",
  annotationPrefix: "annotationPrefix",
  policy: "policy",
  txtOwnerId: "registry.txtOwnerId",
  txtPrefix: "registry.txtPrefix",
  migrateFromTxtPrefix: "registry.migrateFromTxtPrefix",
  migrateFromTxtOwnerId: "registry.migrateFromTxtOwnerId",
  chartVersion: "chart.version",
  externalDnsVersion: "chart.externalDnsVersion",
  chartRepository: "chart.repository",
  namespace: "chart.namespace",
  interval: "chart.interval",
  triggerLoopOnEvent: "chart.triggerLoopOnEvent",
  dryRun: "chart.dryRun",
  proxied: "chart.proxied",
  recordsPerPage: "chart.recordsPerPage",
  resources: "chart.resources",
  sopsAgeRecipients: "sops.ageRecipients",
  sopsSecretFile: "sops.secretFile",
} as const satisfies Partial<Record<OptionKey, string>>;

/** The options that belong to a stack, not to the component: it has no argument for them. */
export const STACK_ONLY_OPTIONS = ["enabled", "cloudflareIdentity", "clusterStack"] as const;

/** Options named as the component's arguments, e.g. `token.rotationDays`. */
export const ARGUMENT_NAMING: OptionNaming = {
  key: (option) => ARGUMENT_PATHS[option as keyof typeof ARGUMENT_PATHS] ?? option,
  required: "required",
};

/** The value at a dotted path of the arguments, e.g. `token.rotationDays`. */
function argumentAt(args: ExternalDnsArgs, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (value, field) =>
        typeof value === "object" && value !== null
          ? (value as Record<string, unknown>)[field]
          : undefined,
      args,
    );
}

/** Validates the arguments as a stack's config is validated, naming each problem by its argument. */
export function componentSettings(args: ExternalDnsArgs, now: Date = new Date()): LoadedConfig {
  const decoded = Object.fromEntries(
    Object.entries(ARGUMENT_PATHS)
      .map(([option, path]) => [option, argumentAt(args, path)])
      .filter(([, value]) => value !== undefined),
  );
  return validateOptions(decoded, ARGUMENT_NAMING, now);
}
