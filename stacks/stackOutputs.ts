/**
 * The stack outputs. Each one the stack exports has a value: the engine warns
 * about every top-level output that is undefined, so a stack exports only what
 * applies to it (a disabled stack: `enabled` alone) and says "never" for a
 * token that does not expire or rotate.
 */
import type * as pulumi from "@pulumi/pulumi";
import { RELEASE_NAME } from "../components/chartValues";
import type { ExternalDns } from "../components/externalDns";
import { NEVER, type TokenSpec } from "../components/tokenLifecycle";
import { type OwnershipRecord, sampleOwnershipRecords } from "../components/txtRecords";
import type { Settings } from "./settings";

export { NEVER } from "../components/tokenLifecycle";

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

/** What a deployed stack exports: the component's outputs, and what its settings decide before any deployment. */
export interface Deployed {
  externalDns: ExternalDns;
  settings: Settings;
  token: TokenSpec;
}

export function stackOutputs(deployed: Deployed | undefined): StackOutputs {
  if (deployed === undefined) return { enabled: false };
  const { externalDns, settings, token } = deployed;
  return {
    enabled: true,
    namespace: externalDns.namespace,
    releaseName: RELEASE_NAME,
    tokenId: externalDns.tokenId,
    tokenExpiresOn: token.expiresOn ?? NEVER,
    tokenNextRotation: token.nextRotation ?? NEVER,
    zoneIds: externalDns.zoneIds,
    externalDnsArgs: externalDns.externalDnsArgs,
    ownershipTxtRecords: sampleOwnershipRecords(
      settings,
      settings.zones.map((zone) => zone.name),
      settings.txtPrefix,
    ),
  };
}
