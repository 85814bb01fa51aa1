/**
 * Which hostnames external-dns (0.21) manages, decided exactly as its
 * `endpoint.DomainFilter.Match` does. Everything in this project that asks
 * "is this name managed?" (the plan, verify, the config checks) asks here.
 *
 * The rule: when either regex is set, the regexes alone decide and every
 * `--domain-filter` and `--exclude-domains` is ignored; a name is managed unless
 * the exclusion regex matches it and, if an include regex is set, it matches.
 * Otherwise a name is managed when it is, or lies under, a domain filter (or no
 * domain filter is set) and it is not, and does not lie under, an excluded domain.
 */
import { domainToUnicode } from "node:url";
import { RE2JS } from "re2js";
import { isWithinDomain } from "../stacks/formats";

export interface HostnameFilter {
  /** `--domain-filter` values. */
  domainFilters: readonly string[];
  /** `--exclude-domains` values. */
  excludeDomains: readonly string[];
  /** `--regex-domain-filter` (Go RE2). */
  regexDomainFilter?: string;
  /** `--regex-domain-exclusion` (Go RE2). */
  regexDomainExclusion?: string;
}

/** Whether the regexes decide, so that the domain lists are ignored. */
export function usesRegexFilter(
  filter: Pick<HostnameFilter, "regexDomainFilter" | "regexDomainExclusion">,
): boolean {
  return Boolean(filter.regexDomainFilter || filter.regexDomainExclusion);
}

/** Whether external-dns manages `hostname` under `filter`. */
export function managesHostname(filter: HostnameFilter, hostname: string): boolean {
  const name = normalizeHostname(hostname);
  if (usesRegexFilter(filter)) {
    if (filter.regexDomainExclusion && matchesRegex(filter.regexDomainExclusion, name)) {
      return false;
    }
    return filter.regexDomainFilter ? matchesRegex(filter.regexDomainFilter, name) : true;
  }
  const included =
    filter.domainFilters.length === 0 ||
    filter.domainFilters.some((domain) => isAtOrUnder(name, domain));
  return included && !filter.excludeDomains.some((domain) => isAtOrUnder(name, domain));
}

/** The filter in words, for the plan. */
export function describeHostnameFilter(filter: HostnameFilter): string {
  if (usesRegexFilter(filter)) {
    const included = filter.regexDomainFilter
      ? `names matching ${filter.regexDomainFilter}`
      : "every name";
    const excluded = filter.regexDomainExclusion
      ? `, except names matching ${filter.regexDomainExclusion}`
      : "";
    return (
      `the regexes decide: ${included}${excluded} ` +
      "(external-dns ignores --domain-filter and --exclude-domains beside a regex; the token's zones still bound what can be touched)"
    );
  }
  const included =
    filter.domainFilters.length > 0
      ? `names at or under ${filter.domainFilters.join(", ")}`
      : "every name";
  const excluded =
    filter.excludeDomains.length > 0
      ? `, except those at or under ${filter.excludeDomains.join(", ")}`
      : "";
  return `${included}${excluded}`;
}

/** Go's `regexp.MatchString`: unanchored, RE2 syntax. */
function matchesRegex(pattern: string, name: string): boolean {
  return RE2JS.compile(pattern).matcher(name).find();
}

/**
 * external-dns's `matchFilter` for one filter: a leading dot means "strictly
 * under"; otherwise the name equals the filter or ends in `.filter`.
 */
function isAtOrUnder(name: string, filter: string): boolean {
  const domain = normalizeHostname(filter);
  return domain.startsWith(".") ? name.endsWith(domain) : isWithinDomain(name, domain);
}

/**
 * external-dns's `normalizeDomain`: no trailing dot, then IDNA ToUnicode with
 * lookup mapping (which also lowercases).
 */
export function normalizeHostname(hostname: string): string {
  const trimmed = hostname.trim().replace(/\.$/, "");
  return domainToUnicode(trimmed) || trimmed.toLowerCase();
}
