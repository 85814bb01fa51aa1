import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { Zone } from "../stacks/settings";
import {
  permissionGroupId,
  TOKEN_PERMISSION_GROUPS,
  tokenCondition,
  tokenPolicies,
  ZONE_PERMISSION_SCOPE,
} from "./tokenPolicy";

/**
 * What replaces the token rather than updating it: a new name (a rotation) or
 * expiry mints a new value. The plan's comparison with a deployed stack reads
 * this too.
 */
export const TOKEN_REPLACE_ON_CHANGES = ["name", "expiresOn"];

export interface CloudflareDnsTokenArgs {
  /** Token name shown in the Cloudflare dashboard. */
  name: string;
  /** Zones the token may edit; a zone without an id is looked up by name. */
  zones: Zone[];
  /** Client IP ranges (CIDR) the token works from; empty: from anywhere. */
  allowedCidrs: string[];
  /** RFC 3339 expiry; undefined: the token never expires. */
  expiresOn?: string;
  /** Account that owns the token (an account-owned token); undefined: the bootstrap token's user. */
  accountId?: string;
}

/**
 * A Cloudflare API token that can edit DNS records and read zones on exactly
 * the given zones, minted by the provider's bootstrap token (`cloudflare:apiToken`).
 *
 * A new name or expiry (a rotation) replaces the token: the new one is created
 * first, everything that uses its value is updated, and the old one is deleted
 * at the end of the deployment, so the running pods always hold a valid token.
 */
export class CloudflareDnsToken extends pulumi.ComponentResource {
  /** Cloudflare's ID of the token (not its value). */
  public readonly tokenId: pulumi.Output<string>;
  /** The token value, always a Pulumi secret. */
  public readonly value: pulumi.Output<string>;
  /** IDs of the zones, in the order of `args.zones`. */
  public readonly zoneIds: pulumi.Output<string[]>;

  constructor(name: string, args: CloudflareDnsTokenArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vanixiets:dns:CloudflareDnsToken", name, {}, opts);
    const invokeOpts = { parent: this };

    this.zoneIds = pulumi.all(
      args.zones.map(
        (zone) =>
          zone.id ??
          cloudflare
            .getZoneOutput({ filter: { name: zone.name, match: "all" } }, invokeOpts)
            .apply((found) => found.id),
      ),
    );

    const permissionGroupIds = pulumi.all(
      TOKEN_PERMISSION_GROUPS.map((groupName) => {
        // Cloudflare's filter takes URL-encoded values.
        const filter = { name: encodeURIComponent(groupName), scope: ZONE_PERMISSION_SCOPE };
        const groups = args.accountId
          ? cloudflare.getAccountApiTokenPermissionGroupsListOutput(
              { ...filter, accountId: args.accountId },
              invokeOpts,
            )
          : cloudflare.getApiTokenPermissionGroupsListOutput(filter, invokeOpts);
        return groups.apply((list) => permissionGroupId(list.results, groupName));
      }),
    );

    const tokenArgs = {
      name: args.name,
      policies: pulumi
        .all([this.zoneIds, permissionGroupIds])
        .apply(([zoneIds, groupIds]) => tokenPolicies(zoneIds, groupIds)),
      condition: tokenCondition(args.allowedCidrs),
      expiresOn: args.expiresOn,
    };
    const tokenOpts: pulumi.CustomResourceOptions = {
      parent: this,
      replaceOnChanges: TOKEN_REPLACE_ON_CHANGES,
      deleteBeforeReplace: false,
    };
    const token = args.accountId
      ? new cloudflare.AccountToken(name, { ...tokenArgs, accountId: args.accountId }, tokenOpts)
      : new cloudflare.ApiToken(name, tokenArgs, tokenOpts);

    this.tokenId = token.id;
    this.value = pulumi.secret(token.value);
    this.registerOutputs({ tokenId: this.tokenId, value: this.value, zoneIds: this.zoneIds });
  }
}
