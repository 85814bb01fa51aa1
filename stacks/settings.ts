/**
 * Turns a stack's config into one validated, typed settings object. Pure: the
 * caller passes the raw strings Pulumi holds for the `external-dns:` namespace.
 * Every problem is collected and reported at once.
 */

import type { z } from "zod";
import {
  type AnnotationPrefixChoice,
  CHART_VERSIONS,
  type ChartVersion,
  chartAppVersion,
  type ExternalDnsVersion,
  SUPPORTED_CHARTS,
} from "../components/externalDnsReleases";
import {
  type HostnameFilter,
  managesHostname,
  usesRegexFilter,
} from "../components/hostnameFilter";
import { isDomainName, isWithinDomain } from "./formats";
import {
  DECLARED_HOSTNAME_SOURCES,
  DEFAULT_RESOURCES,
  MAX_TOKEN_EXPIRY_YEARS,
  OPTION_KEYS,
  type OptionKey,
  type OptionValues,
  options,
  type Policy,
  type Source,
  type TokenOwner,
} from "./options";
import { closest } from "./suggest";

/** The config namespace of this project (`name` in Pulumi.yaml). */
export const CONFIG_NAMESPACE = "external-dns";

export interface Zone {
  name: string;
  /** Known zone ID; undefined when it is looked up through the Cloudflare provider. */
  id?: string;
}

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface Settings {
  zones: Zone[];
  /** `--domain-filter`s: the configured ones, else the zone names; empty when a regex filter is set. */
  domainFilters: string[];
  /** `--exclude-domains`; empty when a regex filter is set. */
  excludeDomains: string[];
  regexDomainFilter?: string;
  regexDomainExclusion?: string;
  sources: Source[];
  /** Which annotations external-dns reads (components/externalDnsReleases.ts: annotationReading). */
  annotationPrefix: AnnotationPrefixChoice;
  policy: Policy;
  txtOwnerId: string;
  /** Rename this cluster's ownership records from this owner to `txtOwnerId` after the rollout. */
  migrateFromTxtOwnerId?: string;
  txtPrefix: string;
  /** Move this owner's ownership records from this prefix to `txtPrefix` after the rollout. */
  migrateFromTxtPrefix?: string;
  proxied: boolean;
  recordsPerPage: number;
  interval: string;
  triggerLoopOnEvent: boolean;
  dryRun: boolean;
  chartVersion: ChartVersion;
  /** The external-dns version the chart runs: the configured one, else the chart's appVersion. */
  externalDnsVersion: ExternalDnsVersion;
  chartRepository: string;
  namespace: string;
  sopsAgeRecipients: string[];
  sopsSecretFile?: string;
  tokenAllowedCidrs: string[];
  tokenRotationDays?: number;
  /** Days the rotation calendar is shifted by; undefined: derived from the stack name. */
  tokenRotationOffsetDays?: number;
  tokenExpiresOn?: string;
  tokenOwner: TokenOwner;
  accountId?: string;
  /** Label of the Cloudflare user or account whose limits the token counts against (npm run fleet). */
  cloudflareIdentity?: string;
  clusterStack?: string;
  resources: ContainerResources;
}

export type LoadedConfig =
  | { kind: "disabled"; warnings: string[] }
  | { kind: "enabled"; settings: Settings; warnings: string[] }
  | { kind: "invalid"; errors: string[]; warnings: string[] };

/** The project's keys of a fully qualified config map, without the namespace. */
export function projectKeys(config: Record<string, string>): Record<string, string> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/** The config namespaces this program reads: its own and its providers'. */
export const READ_NAMESPACES = [CONFIG_NAMESPACE, "cloudflare", "kubernetes"] as const;

/**
 * Keys under a namespace the program does not read, when it looks like a
 * misspelling of one it does (`externaldns:zones`): Pulumi passes them on,
 * and nothing would say that they are ignored.
 */
export function misspeltNamespaceWarnings(config: Record<string, string>): string[] {
  return Object.keys(config).flatMap((key) => {
    const [namespace, ...rest] = key.split(":");
    if (rest.length === 0 || (READ_NAMESPACES as readonly string[]).includes(namespace)) return [];
    const meant = closest(namespace, READ_NAMESPACES);
    return meant
      ? [
          `${key}: namespace ${namespace} is not read by this program (it reads ${READ_NAMESPACES.map((name) => `${name}:`).join(", ")}), so this key is ignored; did you mean ${meant}:${rest.join(":")}?`,
        ]
      : [];
  });
}

/** Validates a stack's whole config (every namespace): the project's keys, and misspelt namespaces. */
export function loadStackConfig(config: Record<string, string>, now?: Date): LoadedConfig {
  const loaded = loadSettings(projectKeys(config), now);
  const misspelt = misspeltNamespaceWarnings(config);
  return misspelt.length === 0
    ? loaded
    : { ...loaded, warnings: [...misspelt, ...loaded.warnings] };
}

/** How messages name an option: a stack's config key, or a component's argument. */
export interface OptionNaming {
  /** The option as the user wrote it, e.g. `external-dns:policy` or `policy`. */
  key(option: string): string;
  /** Why an option without a default must be given. */
  required: string;
}

/** Options named as keys of the stack config (`external-dns:<key>`). */
/** How an option is named in messages: `external-dns:policy` in a stack, `policy` for the component. */
export type OptionName = OptionNaming["key"];

export const CONFIG_NAMING: OptionNaming = {
  key: (option) => `${CONFIG_NAMESPACE}:${option}`,
  required: "required when external-dns is enabled",
};

/**
 * Validates the raw config values of the `external-dns:` namespace (keys without
 * the namespace prefix, values as Pulumi delivers them: strings, JSON for structures).
 */
export function loadSettings(raw: Record<string, string>, now: Date = new Date()): LoadedConfig {
  const unknownKeys = Object.keys(raw)
    .filter((key) => !(OPTION_KEYS as string[]).includes(key))
    .map((key) => {
      const meant = closest(key, OPTION_KEYS);
      const guess = meant ? ` did you mean ${CONFIG_NAMING.key(meant)}?` : "";
      return `${CONFIG_NAMING.key(key)}: unknown key;${guess} known keys: ${OPTION_KEYS.join(", ")}`;
    });
  const decoded = Object.fromEntries(
    OPTION_KEYS.filter((key) => raw[key] !== undefined).map((key) => [
      key,
      decode(raw[key], options[key].encoding),
    ]),
  );
  return validateOptions(decoded, CONFIG_NAMING, now, unknownKeys);
}

/**
 * Validates option values (decoded: lists as arrays, numbers as numbers) against
 * their declarations and each other, and applies the defaults; every problem is
 * reported at once, named by `naming`, after `earlierErrors`.
 */
export function validateOptions(
  decoded: Partial<Record<OptionKey, unknown>>,
  naming: OptionNaming,
  now: Date = new Date(),
  earlierErrors: string[] = [],
): LoadedConfig {
  const errors = [...earlierErrors];
  const enabled = parseOption("enabled", decoded, naming);
  if (enabled.ok && enabled.value === false) {
    return errors.length > 0
      ? { kind: "invalid", errors, warnings: [] }
      : { kind: "disabled", warnings: [] };
  }

  const values: Partial<OptionValues> = {};
  for (const key of OPTION_KEYS) {
    const result = parseOption(key, decoded, naming);
    if (result.ok) (values as Record<string, unknown>)[key] = result.value;
    else errors.push(...result.errors);
  }

  // Zone names still inform the cross checks when another part of `zones` is invalid.
  values.zones ??= validZoneNames(decoded.zones)?.map((name) => ({ name }));
  const q = naming.key;
  errors.push(
    ...crossCheckErrors(values, q),
    ...tokenLifecycleErrors(values, q, now, decoded.accountId !== undefined),
  );
  const warnings = crossCheckWarnings(values, q);
  if (errors.length > 0) return { kind: "invalid", errors, warnings };
  return { kind: "enabled", settings: toSettings(values as OptionValues), warnings };
}

type ParseResult = { ok: true; value: unknown } | { ok: false; errors: string[] };

/** How messages name an option: a key with its namespace. */
type Name = (option: string) => string;

function parseOption(
  key: OptionKey,
  decoded: Partial<Record<OptionKey, unknown>>,
  naming: OptionNaming,
): ParseResult {
  const declaration = options[key];
  const value = decoded[key];
  if (value === undefined && !declaration.schema.safeParse(undefined).success) {
    // An option without a default.
    return { ok: false, errors: [`${naming.key(key)}: ${naming.required}`] };
  }
  const result = declaration.schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => describeIssue(naming.key(key), issue)),
  };
}

/** Pulumi hands every config value over as a string; structured values arrive as JSON. */
function decode(text: string, encoding: "string" | "json"): unknown {
  if (encoding === "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeIssue(name: string, issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`))
    .join("");
  const given = "input" in issue ? `; given ${show(issue.input)}` : "";
  return `${name}${path}: ${issue.message}${given}`;
}

function show(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** `accountIdGiven`: an accountId was given, valid or not (an invalid one has its own error). */
function tokenLifecycleErrors(
  values: Partial<OptionValues>,
  qualified: Name,
  now: Date,
  accountIdGiven: boolean,
): string[] {
  const errors: string[] = [];
  const { tokenExpiresOn, tokenRotationDays, tokenRotationOffsetDays, tokenOwner } = values;
  if (tokenRotationOffsetDays !== undefined) {
    if (tokenRotationDays === undefined) {
      errors.push(
        `${qualified("tokenRotationOffsetDays")}: shifts the rotation calendar, so it needs ${qualified("tokenRotationDays")}; given ${show(tokenRotationOffsetDays)}; allowed: set ${qualified("tokenRotationDays")} too, or leave it out`,
      );
    } else if (tokenRotationOffsetDays >= tokenRotationDays) {
      errors.push(
        `${qualified("tokenRotationOffsetDays")}: must be less than ${qualified("tokenRotationDays")} (${tokenRotationDays}); given ${show(tokenRotationOffsetDays)}; allowed: 0 to ${tokenRotationDays - 1}`,
      );
    }
  }
  if (tokenExpiresOn !== undefined && tokenRotationDays !== undefined) {
    errors.push(
      `${qualified("tokenExpiresOn")}: cannot be combined with ${qualified("tokenRotationDays")} (rotation sets the expiry); given ${show(tokenExpiresOn)}; allowed: one of the two`,
    );
  }
  if (tokenExpiresOn !== undefined) {
    const expiry = Date.parse(tokenExpiresOn);
    const latest = new Date(now);
    latest.setUTCFullYear(latest.getUTCFullYear() + MAX_TOKEN_EXPIRY_YEARS);
    if (expiry <= now.getTime()) {
      errors.push(
        `${qualified("tokenExpiresOn")}: lies in the past; given ${show(tokenExpiresOn)}; allowed: a time after ${now.toISOString()}`,
      );
    } else if (expiry > latest.getTime()) {
      errors.push(
        `${qualified("tokenExpiresOn")}: lies more than ${MAX_TOKEN_EXPIRY_YEARS} years ahead; given ${show(tokenExpiresOn)}; allowed: up to ${latest.toISOString()}`,
      );
    }
  }
  if (tokenOwner === "account" && !accountIdGiven) {
    errors.push(`${qualified("accountId")}: required when ${qualified("tokenOwner")} is "account"`);
  }
  return errors;
}

/** The valid zone names in a `zones` value that failed validation as a whole. */
function validZoneNames(decoded: unknown): string[] | undefined {
  if (!Array.isArray(decoded)) return undefined;
  return decoded
    .map((zone) =>
      typeof zone === "object" && zone !== null ? (zone as { name?: unknown }).name : zone,
    )
    .filter((name): name is string => typeof name === "string" && isDomainName(name));
}

function crossCheckErrors(values: Partial<OptionValues>, qualified: Name): string[] {
  const errors: string[] = [...regexFilterConflicts(values, qualified)];
  if (
    values.migrateFromTxtPrefix !== undefined &&
    values.migrateFromTxtPrefix === values.txtPrefix
  ) {
    errors.push(
      `${qualified("migrateFromTxtPrefix")}: equals ${qualified("txtPrefix")}, so there is nothing to move; given ${show(values.migrateFromTxtPrefix)}; allowed: the prefix the ownership records have now, different from ${qualified("txtPrefix")}, or leave it out`,
    );
  }
  errors.push(
    ...ownerMoveErrors(values, qualified),
    ...externalDnsVersionErrors(values, qualified),
  );
  const zoneNames = values.zones?.map((zone) => zone.name);
  if (zoneNames && values.domainFilters) {
    for (const [index, filter] of values.domainFilters.entries()) {
      if (!zoneNames.some((zone) => isWithinDomain(filter, zone))) {
        errors.push(
          `${qualified("domainFilters")}[${index}]: lies outside every zone; given ${show(filter)}; allowed: a zone (${zoneNames.join(", ")}) or a subdomain of one`,
        );
      }
    }
  }
  return errors;
}

/** The chart runs only the external-dns versions this program has tried it with. */
function externalDnsVersionErrors(values: Partial<OptionValues>, qualified: Name): string[] {
  const { chartVersion, externalDnsVersion } = values;
  if (chartVersion === undefined || externalDnsVersion === undefined) return [];
  const supported: readonly string[] = SUPPORTED_CHARTS[chartVersion].externalDnsVersions;
  if (supported.includes(externalDnsVersion)) return [];
  return [
    `${qualified("externalDnsVersion")}: chart ${chartVersion} runs external-dns ${supported.join(" or ")}; given ${show(externalDnsVersion)}; allowed: ${supported.join(", ")}, or ${qualified("chartVersion")} ${CHART_VERSIONS.filter((chart) => (SUPPORTED_CHARTS[chart].externalDnsVersions as readonly string[]).includes(externalDnsVersion)).join(", ")} for ${externalDnsVersion}`,
  ];
}

function ownerMoveErrors(values: Partial<OptionValues>, qualified: Name): string[] {
  const { migrateFromTxtOwnerId, txtOwnerId, migrateFromTxtPrefix } = values;
  if (migrateFromTxtOwnerId === undefined) return [];
  if (migrateFromTxtOwnerId === txtOwnerId)
    return [
      `${qualified("migrateFromTxtOwnerId")}: equals ${qualified("txtOwnerId")}, so there is nothing to rename; given ${show(migrateFromTxtOwnerId)}; allowed: the owner ID the ownership records carry now, different from ${qualified("txtOwnerId")}, or leave it out`,
    ];
  if (migrateFromTxtPrefix !== undefined)
    return [
      `${qualified("migrateFromTxtOwnerId")}: cannot be combined with ${qualified("migrateFromTxtPrefix")}: rename the owner and move the prefix in two separate ups, one after the other; given ${show(migrateFromTxtOwnerId)}; allowed: leave one of the two out`,
    ];
  return [];
}

/**
 * external-dns builds its domain filter from the regexes alone when either is
 * set, so domain lists beside a regex would be silently ignored: refuse them.
 */
function regexFilterConflicts(values: Partial<OptionValues>, qualified: Name): string[] {
  const regexKeys = (["regexDomainFilter", "regexDomainExclusion"] as const).filter(
    (key) => values[key] !== undefined,
  );
  if (regexKeys.length === 0) return [];
  const regexes = regexKeys.map(qualified).join(" and ");
  const listed = {
    domainFilters: values.domainFilters ?? [],
    excludeDomains: values.excludeDomains ?? [],
  };
  return Object.entries(listed)
    .filter(([, domains]) => domains.length > 0)
    .map(
      ([key, domains]) =>
        `${qualified(key)}: cannot be combined with ${regexes}: external-dns ignores --domain-filter and --exclude-domains whenever a regex filter is set; ` +
        `given ${show(domains)}; allowed: leave ${qualified(key)} out and express it in the regex (the token's zones still bound what can be touched)`,
    );
}

function crossCheckWarnings(values: Partial<OptionValues>, qualified: Name): string[] {
  const warnings: string[] = [];
  const prefix = values.txtPrefix;
  const filters = values.domainFilters ?? values.zones?.map((zone) => zone.name) ?? [];
  const zoneNames = values.zones?.map((zone) => zone.name) ?? [];
  const filter = hostnameFilter(values);
  if (
    prefix !== undefined &&
    !apexSafeTxtPrefix(prefix) &&
    zoneNames.some((zone) => managesHostname(filter, zone))
  ) {
    warnings.push(
      `${qualified("txtPrefix")}: ${show(prefix)} lacks %{record_type} or a trailing dot while apex records can be managed; ` +
        `external-dns would write the apex ownership record outside the zone and silently never manage the apex. ` +
        `Use e.g. "externaldns-%{record_type}."`,
    );
  }
  if (values.migrateFromTxtPrefix !== undefined && (values.tokenAllowedCidrs ?? []).length > 0) {
    warnings.push(
      `${qualified("migrateFromTxtPrefix")}: the ownership move runs where pulumi up runs, with the minted token, which Cloudflare accepts only from ${qualified("tokenAllowedCidrs")} ` +
        `(${values.tokenAllowedCidrs?.join(", ")}): run that up from an address in the list, or add this machine's for the move`,
    );
  }
  if (values.migrateFromTxtOwnerId !== undefined)
    warnings.push(...ownerMoveWarnings(values, qualified));
  if (values.tokenOwner === "user" && values.accountId !== undefined) {
    warnings.push(
      `${qualified("accountId")}: is ignored while ${qualified("tokenOwner")} is "user" (the token belongs to the bootstrap token's user)`,
    );
  }
  for (const [index, excluded] of (values.excludeDomains ?? []).entries()) {
    if (!filters.some((domain) => isWithinDomain(excluded, domain))) {
      warnings.push(
        `${qualified("excludeDomains")}[${index}]: ${show(excluded)} lies outside every domain filter (${filters.join(", ")}), so it excludes nothing`,
      );
    }
  }
  return warnings;
}

/** What the owner rename cannot do from where it runs, or for the sources it cannot read. */
function ownerMoveWarnings(values: Partial<OptionValues>, qualified: Name): string[] {
  const warnings: string[] = [];
  const unread = (values.sources ?? []).filter(
    (source) => !(DECLARED_HOSTNAME_SOURCES as readonly string[]).includes(source),
  );
  if (unread.length > 0) {
    warnings.push(
      `${qualified("migrateFromTxtOwnerId")}: the rename reads the hostnames this cluster declares from ${DECLARED_HOSTNAME_SOURCES.join(", ")} only; ` +
        `records of the sources ${unread.join(", ")} keep the old owner, and this cluster's external-dns leaves them alone: rename those ownership records by hand (docs/fleet.md: "Renaming an owner")`,
    );
  }
  if ((values.tokenAllowedCidrs ?? []).length > 0) {
    warnings.push(
      `${qualified("migrateFromTxtOwnerId")}: the rename runs where pulumi up runs, reading the cluster and, with the minted token, Cloudflare, which accepts that token only from ${qualified("tokenAllowedCidrs")} ` +
        `(${values.tokenAllowedCidrs?.join(", ")}): run that up from an address in the list, or add this machine's for the rename`,
    );
  }
  return warnings;
}

/** The apex ownership record stays inside the zone only with a typed prefix ending in a dot. */
export function apexSafeTxtPrefix(prefix: string): boolean {
  return prefix.includes("%{record_type}") && prefix.endsWith(".");
}

/**
 * The filter external-dns will apply. Without a regex, the domain filters
 * default to the zone names; with one, the regexes alone decide.
 */
function hostnameFilter(values: Partial<OptionValues>): HostnameFilter {
  const regex = {
    regexDomainFilter: values.regexDomainFilter,
    regexDomainExclusion: values.regexDomainExclusion,
  };
  if (usesRegexFilter(regex)) {
    return { domainFilters: [], excludeDomains: [], ...regex };
  }
  return {
    domainFilters: values.domainFilters ?? values.zones?.map((zone) => zone.name) ?? [],
    excludeDomains: values.excludeDomains ?? [],
  };
}

function toSettings(values: OptionValues): Settings {
  const { enabled: _enabled, resources, domainFilters: _domainFilters, ...rest } = values;
  const filter = hostnameFilter(values);
  return {
    ...rest,
    externalDnsVersion: values.externalDnsVersion ?? chartAppVersion(values.chartVersion),
    domainFilters: [...filter.domainFilters],
    excludeDomains: [...filter.excludeDomains],
    resources: {
      requests: { ...DEFAULT_RESOURCES.requests, ...resources.requests },
      limits: { ...DEFAULT_RESOURCES.limits, ...resources.limits },
    },
  };
}
