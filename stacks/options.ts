/**
 * The stack config options of this program, declared once: type, default and
 * description. Everything else (validation, defaults, the README table and the
 * Pulumi.yaml declarations, which a test keeps in step) derives from here.
 *
 * Keys live in the project's namespace: `external-dns:<key>` in Pulumi.<stack>.yaml.
 */
import { z } from "zod";
import {
  ANNOTATION_PREFIX_CHOICES,
  CHART_VERSIONS,
  DEFAULT_CHART_VERSION,
  EXTERNAL_DNS_VERSIONS,
  SUPPORTED_CHARTS,
} from "../components/externalDnsReleases";
import {
  goDurationSeconds,
  isAgeRecipient,
  isChartRepository,
  isCidr,
  isCloudflareId,
  isDns1123Label,
  isDomainName,
  isPositiveGoDuration,
  isQuantity,
  isRfc3339,
  isStackName,
  re2SyntaxError,
} from "./formats";

export { DEFAULT_CHART_VERSION } from "../components/externalDnsReleases";

/**
 * The `--source` values external-dns 0.21 to 0.23 accept (the same set) that this program supports:
 * every one except those in UNSUPPORTED_SOURCES.
 */
export const SOURCES = [
  "service",
  "ingress",
  "node",
  "pod",
  "gateway-httproute",
  "gateway-grpcroute",
  "gateway-tlsroute",
  "gateway-tcproute",
  "gateway-udproute",
  "istio-gateway",
  "istio-virtualservice",
  "contour-httpproxy",
  "gloo-proxy",
  "crd",
  "empty",
  "skipper-routegroup",
  "openshift-route",
  "ambassador-host",
  "kong-tcpingress",
  "f5-virtualserver",
  "f5-transportserver",
  "traefik-proxy",
] as const;
export type Source = (typeof SOURCES)[number];

/**
 * The sources whose hostnames this program reads from the cluster itself
 * (components/declaredHostnames.ts): Service hostname annotations, Ingress rule
 * hosts and Gateway API route hostnames. verify checks their records, a refused
 * takeover names them, and the owner rename moves their ownership records.
 */
export const DECLARED_HOSTNAME_SOURCES = [
  "service",
  "ingress",
  "gateway-httproute",
  "gateway-grpcroute",
  "gateway-tlsroute",
] as const satisfies readonly Source[];

/**
 * Sources external-dns 0.21 has but this program refuses: each needs settings
 * the program does not pass, so external-dns would not start or would publish nothing.
 */
export const UNSUPPORTED_SOURCES: Record<string, string> = {
  unstructured:
    "it needs --unstructured-resource flags and RBAC for those resources, which this program does not set",
  connector: "it needs --connector-source-server pointing at a connector server",
  fake: "it publishes ten random test records under example.com on every reconcile, never the cluster's names",
};

export const POLICIES = ["sync", "upsert-only", "create-only"] as const;
export type Policy = (typeof POLICIES)[number];

/** Longest fixed token expiry accepted: Cloudflare documents no maximum, and longer lives defeat the purpose. */
export const MAX_TOKEN_EXPIRY_YEARS = 5;

export const TOKEN_OWNERS = ["user", "account"] as const;
export type TokenOwner = (typeof TOKEN_OWNERS)[number];

export const DEFAULT_TXT_PREFIX = "externaldns-%{record_type}.";
export const DEFAULT_CHART_REPOSITORY = "https://kubernetes-sigs.github.io/external-dns/";
export const DEFAULT_RESOURCES = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { cpu: "100m", memory: "128Mi" },
};

const DOMAIN_RULE =
  "must be a lowercase DNS name such as example.com (labels of a-z, 0-9 and '-', at least two labels, no trailing dot)";

const boolean = z.boolean({ error: "must be true or false" });
const text = z.string({ error: "must be a string" });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: "must be a list" });
const domainName = text.refine(isDomainName, DOMAIN_RULE);
const txtPrefix = text
  .refine(
    (prefix) => /^[a-z0-9_-]([a-z0-9_.-]*)$/.test(prefix.replaceAll("%{record_type}", "x")),
    "must be lowercase a-z, 0-9, '_', '-' and '.', optionally with %{record_type}, not starting with '.'",
  )
  .refine((prefix) => !prefix.includes(".."), "must not contain '..'");

const ownerId = text.refine(
  (id) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(id),
  "must be 1-63 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
);

/** A supported source, or a message that says why not. */
const source = text
  .superRefine((value, ctx) => {
    const unsupported = UNSUPPORTED_SOURCES[value];
    const message = unsupported
      ? `is not supported: ${unsupported}`
      : (SOURCES as readonly string[]).includes(value)
        ? undefined
        : `must be one of: ${SOURCES.join(", ")}`;
    if (message) ctx.addIssue({ code: "custom", input: value, message });
  })
  .transform((value) => value as Source);

/** An object error that names unknown fields, or else says what is expected. */
function objectError(shape: string, expected = `must be an object ${shape}`) {
  return (issue: { code?: string; keys?: string[] }) =>
    issue.code === "unrecognized_keys"
      ? `unknown field ${issue.keys?.join(", ")}; allowed: ${shape}`
      : expected;
}

function uniqueBy<T>(key: (item: T) => string | undefined, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    for (const [index, item] of items.entries()) {
      const value = key(item);
      if (value === undefined) continue;
      if (seen.has(value)) {
        ctx.addIssue({ code: "custom", path: [index], input: item, message: `duplicate ${what}` });
      }
      seen.add(value);
    }
  };
}

/** A Go RE2 regex that also survives the chart's `tpl` pass over extraArgs. */
const re2Regex = text.superRefine((pattern, ctx) => {
  if (pattern === "") {
    // external-dns treats an empty regex as unset; an explicit empty one is a mistake.
    ctx.addIssue({
      code: "custom",
      input: pattern,
      message: "must not be empty; leave the key out instead",
    });
  }
  const syntaxError = re2SyntaxError(pattern);
  if (syntaxError) {
    ctx.addIssue({
      code: "custom",
      input: pattern,
      message: `must be a Go RE2 regular expression (no lookaround, no backreferences): ${syntaxError}`,
    });
  }
  if (pattern.includes("{{")) {
    ctx.addIssue({
      code: "custom",
      input: pattern,
      message: "must not contain '{{': the chart renders extra arguments as Helm templates",
    });
  }
});

const zone = z.preprocess(
  (value) => (typeof value === "string" ? { name: value } : value),
  z
    .object(
      {
        name: domainName,
        id: text
          .refine(isCloudflareId, "must be a Cloudflare zone ID: 32 lowercase hex characters")
          .optional(),
      },
      { error: objectError("{name, id}", "must be a zone name or an object {name, id}") },
    )
    .strict(),
);

const quantity = text.refine(
  isQuantity,
  "must be a Kubernetes quantity such as 50m, 0.5, 64Mi or 1Gi",
);
const cpuAndMemory = z
  .object(
    { cpu: quantity.optional(), memory: quantity.optional() },
    { error: objectError("{cpu, memory}") },
  )
  .strict();

/** How Pulumi delivers a value: plain strings stay as they are, everything else is JSON. */
export type Encoding = "string" | "json";

/** The type Pulumi.yaml declares for an option, where Pulumi's project config supports one. */
export type PulumiConfigType = "string" | "integer" | "boolean" | "array";

export interface OptionDeclaration<Schema extends z.ZodType = z.ZodType> {
  schema: Schema;
  description: string;
  encoding: Encoding;
  /** Declared in Pulumi.yaml with this type (only options that have a default can be). */
  pulumiType?: PulumiConfigType;
  /** Shown in the README where the default is computed from other options. */
  defaultText?: string;
}

function option<Schema extends z.ZodType>(
  declaration: OptionDeclaration<Schema>,
): OptionDeclaration<Schema> {
  return declaration;
}

export const options = {
  enabled: option({
    schema: boolean.default(true),
    encoding: "json",
    pulumiType: "boolean",
    description:
      "false for stacks that need no DNS management (e.g. local clusters on sslip.io): nothing is registered and no other key is required.",
  }),
  zones: option({
    schema: list(zone)
      .min(1, "must name at least one zone")
      .superRefine(uniqueBy((z: { name: string }) => z.name, "zone name"))
      .superRefine(uniqueBy((z: { id?: string }) => z.id, "zone id")),
    encoding: "json",
    description:
      "Cloudflare zones the token may edit: names, or {name, id} objects. A name without an id is looked up through the Cloudflare provider.",
  }),
  domainFilters: option({
    schema: list(domainName)
      .min(1, "must name at least one domain; leave the key out to filter on the zone names")
      .superRefine(uniqueBy((d: string) => d, "domain"))
      .optional(),
    encoding: "json",
    defaultText: "the zone names",
    description: "--domain-filter values; each must lie inside one of the zones.",
  }),
  excludeDomains: option({
    schema: list(domainName)
      .superRefine(uniqueBy((d: string) => d, "domain"))
      .default([]),
    encoding: "json",
    pulumiType: "array",
    description: "--exclude-domains values: subdomains external-dns must never touch.",
  }),
  regexDomainFilter: option({
    schema: re2Regex.optional(),
    encoding: "string",
    description:
      "--regex-domain-filter (Go RE2): only names it matches are managed. With either regex set, the regexes alone decide: domainFilters and excludeDomains must then be left out.",
  }),
  regexDomainExclusion: option({
    schema: re2Regex.optional(),
    encoding: "string",
    description:
      "--regex-domain-exclusion (Go RE2): names it matches are never managed. With either regex set, the regexes alone decide (alone, every other name is managed): domainFilters and excludeDomains must then be left out.",
  }),
  sources: option({
    schema: list(source)
      .min(1, "must name at least one source")
      .superRefine(uniqueBy((s: string) => s, "source"))
      .default(["service", "ingress"]),
    encoding: "json",
    pulumiType: "array",
    description:
      "Kubernetes sources external-dns watches, e.g. service, ingress, gateway-httproute.",
  }),
  annotationPrefix: option({
    schema: z
      .enum(ANNOTATION_PREFIX_CHOICES, {
        error: `must be one of: ${ANNOTATION_PREFIX_CHOICES.join(", ")}`,
      })
      .default("legacy"),
    encoding: "string",
    pulumiType: "string",
    description:
      "Which annotations external-dns reads: legacy keeps external-dns.alpha.kubernetes.io/ effective on every version (0.23.0 reads external-dns.kubernetes.io/ too); current reads only external-dns.kubernetes.io/, the default of external-dns 0.22.0 on. Every preview refuses a change that would leave annotations unread (docs/upgrades.md).",
  }),
  policy: option({
    schema: z.enum(POLICIES, { error: `must be one of: ${POLICIES.join(", ")}` }).default("sync"),
    encoding: "string",
    pulumiType: "string",
    description:
      "sync deletes records whose source is gone; upsert-only never deletes; create-only never updates.",
  }),
  txtOwnerId: option({
    schema: ownerId,
    encoding: "string",
    description:
      "Owner ID written into the ownership TXT records; unique per cluster (npm run fleet and every preview check it against the project's other stacks).",
  }),
  migrateFromTxtOwnerId: option({
    schema: ownerId.optional(),
    encoding: "string",
    description:
      "The owner ID this cluster's ownership records carry now, when txtOwnerId changes: after the chart's rollout, pulumi up rewrites the ownership records of the hostnames this cluster declares (and its filters admit) from it to txtOwnerId, never another cluster's (docs/fleet.md: \"Renaming an owner\"). After that up it finds nothing left to rename, and can be removed.",
  }),
  txtPrefix: option({
    schema: txtPrefix.default(DEFAULT_TXT_PREFIX),
    encoding: "string",
    pulumiType: "string",
    description:
      "Prefix of the ownership TXT record names. Keep %{record_type} and a trailing dot so apex records can be managed.",
  }),
  migrateFromTxtPrefix: option({
    schema: txtPrefix.optional(),
    encoding: "string",
    description:
      "The TXT prefix the zones' ownership records are named with now, when txtPrefix changes: after the chart's rollout, pulumi up moves this owner's ownership records from it to txtPrefix (docs/migration.md: \"Moving to another TXT prefix\"). After that up it finds nothing left to move, and can be removed.",
  }),
  proxied: option({
    schema: boolean.default(false),
    encoding: "json",
    pulumiType: "boolean",
    description:
      "Create records proxied through Cloudflare (--cloudflare-proxied / --no-cloudflare-proxied).",
  }),
  recordsPerPage: option({
    schema: z
      .number({ error: "must be a whole number from 1 to 5000" })
      .int("must be a whole number from 1 to 5000")
      .min(1, "must be a whole number from 1 to 5000")
      .max(5000, "must be a whole number from 1 to 5000")
      .default(5000),
    encoding: "json",
    pulumiType: "integer",
    description: "--cloudflare-dns-records-per-page: fewer API calls with larger pages.",
  }),
  interval: option({
    schema: text
      .refine(isPositiveGoDuration, "must be a positive Go duration such as 1m, 90s or 1h30m")
      .refine(
        (interval) => !isPositiveGoDuration(interval) || goDurationSeconds(interval) >= 1,
        "must be at least 1s: external-dns checks once a second whether a reconcile is due, so a shorter interval reconciles no faster",
      )
      .default("1m"),
    encoding: "string",
    pulumiType: "string",
    description: "How often external-dns reconciles (chart value interval).",
  }),
  triggerLoopOnEvent: option({
    schema: boolean.default(false),
    encoding: "json",
    pulumiType: "boolean",
    description: "Also reconcile on Kubernetes events, not only every interval.",
  }),
  dryRun: option({
    schema: boolean.default(false),
    encoding: "json",
    pulumiType: "boolean",
    description: "--dry-run: external-dns logs the changes it would make and makes none.",
  }),
  chartVersion: option({
    schema: z
      .enum(CHART_VERSIONS, {
        error: `must be one of: ${CHART_VERSIONS.join(", ")} (the charts this program renders and checks)`,
      })
      .default(DEFAULT_CHART_VERSION),
    encoding: "string",
    pulumiType: "string",
    description: "Version of the external-dns Helm chart.",
  }),
  externalDnsVersion: option({
    schema: z
      .enum(EXTERNAL_DNS_VERSIONS, {
        error: `must be one of: ${EXTERNAL_DNS_VERSIONS.join(", ")}`,
      })
      .optional(),
    encoding: "string",
    defaultText: CHART_VERSIONS.map(
      (chart) => `${SUPPORTED_CHARTS[chart].appVersion} for chart ${chart}`,
    ).join(", "),
    description: `The external-dns version the chart runs (its image tag): ${CHART_VERSIONS.map(
      (chart) => `${SUPPORTED_CHARTS[chart].externalDnsVersions.join(" or ")} with chart ${chart}`,
    ).join(", ")}.`,
  }),
  chartRepository: option({
    schema: text
      .refine(isChartRepository, "must be an https:// Helm repository URL or an oci:// registry")
      .default(DEFAULT_CHART_REPOSITORY),
    encoding: "string",
    pulumiType: "string",
    description: "Helm repository of the chart (https or oci), for mirrors.",
  }),
  namespace: option({
    schema: text
      .refine(isDns1123Label, "must be a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-'")
      .default("external-dns"),
    encoding: "string",
    pulumiType: "string",
    description:
      "Namespace for external-dns and its SopsSecret; created with Pod Security 'restricted'.",
  }),
  sopsAgeRecipients: option({
    schema: list(
      text.refine(isAgeRecipient, "must be an age public key (age1... , 62 characters, bech32)"),
    )
      .min(1, "must name at least one age recipient")
      .superRefine(uniqueBy((r: string) => r, "recipient")),
    encoding: "json",
    description:
      "age public keys that can decrypt the SopsSecret; include the sops-secrets-operator's key.",
  }),
  sopsSecretFile: option({
    schema: text
      .refine(
        (path) => path.trim() !== "" && !/[\0\n\r]/.test(path),
        "must be a non-empty file path",
      )
      .optional(),
    encoding: "string",
    description:
      "Also write the encrypted SopsSecret to this path (GitOps copy), relative to the project.",
  }),
  tokenAllowedCidrs: option({
    schema: list(text.refine(isCidr, "must be a CIDR such as 203.0.113.7/32 or 2001:db8::/48"))
      .superRefine(uniqueBy((c: string) => c, "CIDR"))
      .default([]),
    encoding: "json",
    pulumiType: "array",
    description: "Client IP ranges the token works from (the cluster's egress IPs); empty: any.",
  }),
  tokenRotationDays: option({
    schema: z
      .number({ error: "must be a whole number of days from 1 to 365" })
      .int("must be a whole number of days from 1 to 365")
      .min(1, "must be a whole number of days from 1 to 365")
      .max(365, "must be a whole number of days from 1 to 365")
      .optional(),
    encoding: "json",
    description:
      "Mint a new token every this many days (no gap: the new one is rolled out before the old one is deleted); the token expires a margin after its rotation.",
  }),
  tokenRotationOffsetDays: option({
    schema: z
      .number({ error: "must be a whole number of days from 0 to tokenRotationDays - 1" })
      .int("must be a whole number of days from 0 to tokenRotationDays - 1")
      .min(0, "must be a whole number of days from 0 to tokenRotationDays - 1")
      .optional(),
    encoding: "json",
    defaultText: "derived from the stack name",
    description:
      "Shifts the rotation calendar by this many days (0 to tokenRotationDays - 1), to move a stack's rotations off a day other stacks of the same Cloudflare user rotate on (npm run fleet suggests one). Changing it starts a new rotation period: the next up mints a new token.",
  }),
  tokenExpiresOn: option({
    schema: text
      .refine(isRfc3339, "must be an RFC 3339 time such as 2027-06-30T00:00:00Z")
      .optional(),
    encoding: "string",
    description:
      "A fixed expiry for the token, for those who rotate by hand; excludes tokenRotationDays.",
  }),
  tokenOwner: option({
    schema: z
      .enum(TOKEN_OWNERS, { error: `must be one of: ${TOKEN_OWNERS.join(", ")}` })
      .default("user"),
    encoding: "string",
    pulumiType: "string",
    description:
      "user: the token belongs to the bootstrap token's user; account: an account-owned token, which survives people leaving.",
  }),
  accountId: option({
    schema: text
      .refine(isCloudflareId, "must be a Cloudflare account ID: 32 lowercase hex characters")
      .optional(),
    encoding: "string",
    description: "Cloudflare account that owns the token; required with tokenOwner account.",
  }),
  cloudflareIdentity: option({
    schema: text
      .refine(
        (label) => /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/.test(label),
        "must be a label of 1-100 characters of A-Z, a-z, 0-9, '.', '_', ':', '@' and '-', starting with a letter or digit",
      )
      .optional(),
    encoding: "string",
    defaultText: '"user", or "account:<accountId>" with tokenOwner account',
    description:
      "The Cloudflare user or account whose limits this stack's token counts against, as a label: npm run fleet adds up the API requests (1,200 per 5 minutes) and the tokens (50 per user, 500 per account) of the stacks that share one. The default puts every user-owned stack of the project under one user (the safe assumption when one bootstrap token serves them all); set it when stacks use bootstrap tokens of different users.",
  }),
  clusterStack: option({
    schema: text
      .refine(
        isStackName,
        "must be a stack reference: <stack>, <org>/<stack> or <org>/<project>/<stack> (on a self-managed backend, org is the literal word organization)",
      )
      .optional(),
    encoding: "string",
    description:
      "Stack whose `kubeconfig` output drives an explicit Kubernetes provider; unset: the ambient kubeconfig.",
  }),
  resources: option({
    schema: z
      .object(
        { requests: cpuAndMemory.optional(), limits: cpuAndMemory.optional() },
        { error: objectError("{requests, limits}") },
      )
      .strict()
      .default({}),
    encoding: "json",
    defaultText: "requests 50m/64Mi, limits 100m/128Mi",
    description: "Container resources; given fields override the defaults one by one.",
  }),
} satisfies Record<string, OptionDeclaration>;

export type OptionKey = keyof typeof options;
export const OPTION_KEYS = Object.keys(options) as OptionKey[];

/** The raw values of every option after decoding and defaults, as zod infers them. */
export type OptionValues = { [K in OptionKey]: z.output<(typeof options)[K]["schema"]> };
