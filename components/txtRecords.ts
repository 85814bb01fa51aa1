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
