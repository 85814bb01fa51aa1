/**
 * Predicates for the string formats that stack config uses. Each one mirrors
 * what the consuming system (Cloudflare, Kubernetes, Go, age, Helm) accepts.
 */
import { isIP } from "node:net";
import { bech32 } from "bech32";
import { RE2JS } from "re2js";
import semver from "semver";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase, fully qualified DNS name with at least two labels and no trailing dot. */
export function isDomainName(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split(".");
  return labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label));
}

/** `name` equals `zone` or is a subdomain of it. */
export function isWithinDomain(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** A Cloudflare zone or account ID: 32 lowercase hexadecimal characters. */
export function isCloudflareId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

/** A Kubernetes namespace name (RFC 1123 label). */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/**
 * A Go `time.ParseDuration` string, e.g. `1m`, `90s`, `1h30m`, `1.5h`.
 * Signs are rejected on purpose: external-dns intervals must be positive.
 */
export function isGoDuration(value: string): boolean {
  return /^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$/.test(
    value,
  );
}

const GO_DURATION_UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** The length of a Go duration in seconds, e.g. `1h30m` → 5400. */
export function goDurationSeconds(value: string): number {
  if (!isGoDuration(value)) throw new Error(`not a Go duration: ${JSON.stringify(value)}`);
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/g)) {
    seconds += Number(amount) * GO_DURATION_UNIT_SECONDS[unit];
  }
  return seconds;
}

/** A positive Go duration: at least one non-zero number in it. */
export function isPositiveGoDuration(value: string): boolean {
  return isGoDuration(value) && /[1-9]/.test(value);
}

/**
 * Why `pattern` is not a valid Go RE2 regular expression, or undefined when it is.
 * RE2 has no lookaround and no backreferences; re2js implements RE2's syntax exactly.
 */
export function re2SyntaxError(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** An IPv4 or IPv6 network in CIDR notation, e.g. `203.0.113.0/24` or `2001:db8::/32`. */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const [, address, prefix] = match;
  if (address.includes("%")) return false; // an IPv6 zone index names an interface, not a network
  const family = isIP(address);
  const maxPrefix = family === 4 ? 32 : family === 6 ? 128 : -1;
  return maxPrefix > 0 && Number(prefix) <= maxPrefix;
}

/** An age X25519 recipient: bech32 with the `age` prefix and a 32-byte key. */
export function isAgeRecipient(value: string): boolean {
  if (value !== value.toLowerCase()) return false;
  try {
    const decoded = bech32.decode(value, 90);
    return decoded.prefix === "age" && bech32.fromWords(decoded.words).length === 32;
  } catch {
    return false;
  }
}

/** A SemVer 2 version without a leading `v`, as Helm chart versions are written. */
export function isSemver(value: string): boolean {
  return (
    /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(value) &&
    semver.valid(value) !== null
  );
}

/** An `https://` Helm repository URL or an `oci://` registry reference. */
export function isChartRepository(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "oci:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** A Kubernetes resource quantity such as `50m`, `0.5`, `64Mi` or `1G`. */
export function isQuantity(value: string): boolean {
  return /^([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/.test(
    value,
  );
}

/** A Pulumi stack reference: `stack`, `org/stack` or `org/project/stack`. */
export function isStackName(value: string): boolean {
  return /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+){0,2}$/.test(value);
}

/** An RFC 3339 date-time with a time zone, e.g. `2027-06-30T00:00:00Z`. */
export function isRfc3339(value: string): boolean {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(
      value,
    );
  if (!match) return false;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 61
  );
}
