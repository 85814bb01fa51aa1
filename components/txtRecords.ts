/**
 * Names of the ownership TXT records external-dns (0.21) writes beside each
 * record it manages, as its TXT registry's affix name mapper computes them.
 */

import { type HostnameFilter, managesHostname, usesRegexFilter } from "./hostnameFilter";

const RECORD_TYPE_TEMPLATE = "%{record_type}";

/** Record types external-dns manages by default. */
export const MANAGED_RECORD_TYPES = ["A", "AAAA", "CNAME"] as const;

/** The sample host shown for each domain filter besides its apex. */
export const SAMPLE_HOST_LABEL = "www";

/** The ownership TXT record name for `dnsName` of `recordType` with a TXT prefix. */
export function ownershipTxtName(dnsName: string, recordType: string, txtPrefix: string): string {
  const prefix = txtPrefix.toLowerCase();
  const type = recordType.toLowerCase();
  const [first, ...rest] = dnsName.split(".");
  const hostLabel = prefix.includes(RECORD_TYPE_TEMPLATE) ? first : `${type}-${first}`;
  const head = prefix.replaceAll(RECORD_TYPE_TEMPLATE, type) + hostLabel;
  return rest.length === 0 ? head : `${head}.${rest.join(".")}`;
}

/**
 * The record (host and type) an ownership TXT record name stands for. Besides
 * the typed names 0.21 writes, it reads the untyped names external-dns 0.14
 * wrote beside them (prefix + host, for every type but AAAA), which 0.21 still
 * honours but never deletes: those have no `recordType`.
 */
export function ownedRecordOf(
  txtName: string,
  txtPrefix: string,
): { host: string; recordType?: string } | undefined {
  const prefix = txtPrefix.toLowerCase();
  for (const recordType of MANAGED_RECORD_TYPES) {
    const type = recordType.toLowerCase();
    const head = prefix.includes("%{record_type}")
      ? prefix.replaceAll("%{record_type}", type)
      : `${prefix}${type}-`;
    const host = txtName.startsWith(head) ? txtName.slice(head.length) : "";
    if (host && ownershipTxtName(host, recordType, txtPrefix) === txtName)
      return { host, recordType };
  }
  if (prefix.includes("%{record_type}") || !txtName.startsWith(prefix)) return undefined;
  const host = txtName.slice(prefix.length);
  return host.includes(".") ? { host } : undefined;
}

/** The record types an untyped (external-dns 0.14) ownership record can stand for. */
export const UNTYPED_OWNERSHIP_TYPES = ["A", "CNAME"];

export interface OwnershipRecord {
  /** The record external-dns manages. */
  host: string;
  recordType: string;
  /** The TXT record that marks `host` as owned by this cluster. */
  txtName: string;
}

/**
 * Sample hosts whose ownership records the plan shows: the apex and `www.` of
 * each domain filter, or of each zone when the regexes decide; only those the
 * filter admits.
 */
export function sampleHosts(filter: HostnameFilter, zoneNames: readonly string[]): string[] {
  const domains = usesRegexFilter(filter) ? zoneNames : filter.domainFilters;
  return domains
    .flatMap((domain) => [domain, `${SAMPLE_HOST_LABEL}.${domain}`])
    .filter((host) => managesHostname(filter, host));
}

/** The ownership records of the sample hosts (see `sampleHosts`), named with `txtPrefix`. */
export function sampleOwnershipRecords(
  filter: HostnameFilter,
  zoneNames: readonly string[],
  txtPrefix: string,
): OwnershipRecord[] {
  return ownershipRecords(sampleHosts(filter, zoneNames), txtPrefix);
}

/** Ownership records of each sample host, per managed record type. */
export function ownershipRecords(hosts: readonly string[], txtPrefix: string): OwnershipRecord[] {
  return hosts.flatMap((host) =>
    MANAGED_RECORD_TYPES.map((recordType) => ({
      host,
      recordType,
      txtName: ownershipTxtName(host, recordType, txtPrefix),
    })),
  );
}

/**
 * The owner an ownership TXT record's content names, read as external-dns
 * 0.21 reads it (`endpoint.NewLabelsFromStringPlain`): quotes dropped, comma
 * separated `key=value` pairs, `heritage=external-dns` required; "" when it
 * names none. Undefined for any other TXT record (SPF, DMARC, a hand-made note).
 */
export function ownershipOwner(content: string): string | undefined {
  const labels = new Map<string, string>();
  for (const pair of content.replace(/^"+|"+$/g, "").split(",")) {
    const parts = pair.split("=");
    if (parts.length === 2) labels.set(parts[0], parts[1]);
  }
  if (labels.get("heritage") !== "external-dns") return undefined;
  return labels.get("external-dns/owner") ?? "";
}
