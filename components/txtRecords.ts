/**
 * Names of the ownership TXT records external-dns (0.21) writes beside each
 * record it manages, as its TXT registry's affix name mapper computes them.
 */

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

/** Ownership records for the apex and one sample host of each domain filter. */
export function ownershipRecords(
  domainFilters: readonly string[],
  txtPrefix: string,
): OwnershipRecord[] {
  return domainFilters.flatMap((domain) =>
    [domain, `${SAMPLE_HOST_LABEL}.${domain}`].flatMap((host) =>
      MANAGED_RECORD_TYPES.map((recordType) => ({
        host,
        recordType,
        txtName: ownershipTxtName(host, recordType, txtPrefix),
      })),
    ),
  );
}
