/**
 * The stack outputs. Each one the stack exports has a value: the engine warns
 * about every top-level output that is undefined, so a stack exports only what
 * applies to it (a disabled stack: `enabled` alone) and says "never" for a
 * token that does not expire or rotate.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ExternalDns } from "../components/externalDns";
import type { OwnershipRecord } from "../components/txtRecords";

/** The value of `tokenExpiresOn` / `tokenNextRotation` for a token that never expires / rotates. */
export const NEVER = "never";

export interface StackOutputs {
  /** Whether this stack deploys anything. */
  enabled: boolean;
  namespace?: pulumi.Output<string>;
  releaseName?: string;
  tokenId?: pulumi.Output<string>;
  /** RFC 3339, or "never". */
  tokenExpiresOn?: string;
  /** RFC 3339, or "never". */
  tokenNextRotation?: string;
  zoneIds?: pulumi.Output<string[]>;
  externalDnsArgs?: pulumi.Output<string[]>;
  ownershipTxtRecords?: OwnershipRecord[];
}

export function stackOutputs(externalDns: ExternalDns | undefined): StackOutputs {
  if (externalDns === undefined) return { enabled: false };
  return {
    enabled: true,
    namespace: externalDns.namespace,
    releaseName: externalDns.releaseName,
    tokenId: externalDns.tokenId,
    tokenExpiresOn: externalDns.tokenExpiresOn ?? NEVER,
    tokenNextRotation: externalDns.tokenNextRotation ?? NEVER,
    zoneIds: externalDns.zoneIds,
    externalDnsArgs: externalDns.externalDnsArgs,
    ownershipTxtRecords: externalDns.ownershipTxtRecords,
  };
}
