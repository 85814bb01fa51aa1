import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { KubeconfigSource } from "./clusterAccess";
import type { HostnameFilter } from "./hostnameFilter";
import type { OwnerRenameSettings } from "./ownerRenamePlan";
import { stepDirectory } from "./stepDirectory";

/** What the rename command reads on stdin, as JSON (a Pulumi secret: it holds the token). */
export interface RenameCommandInput extends OwnerRenameSettings {
  /** The minted token: it may edit DNS records in exactly these zones. */
  token: string;
  /** Cloudflare API base URL (the provider's `cloudflare:baseUrl`); default Cloudflare's. */
  baseUrl?: string;
  zones: { id: string; name: string }[];
  /** The cluster whose sources declare the hostnames that are this cluster's. */
  cluster: KubeconfigSource;
  /** The stack's sources: the kinds whose hostnames are read. */
  sources: string[];
  /** The annotation prefixes external-dns reads Service hostnames under, the one that wins first. */
  annotationPrefixes: string[];
  /** The stack's filters: only hostnames they admit are renamed. */
  filter: HostnameFilter;
}

/**
 * The command that renames the owner (commands/renameTxtOwner.ts), run in
 * this package's root (stepDirectory) with the TypeScript loader `npm run plan` uses.
 */
export const RENAME_COMMAND = "node -r ts-node/register/transpile-only commands/renameTxtOwner.ts";

export interface TxtOwnerRenameArgs extends OwnerRenameSettings {
  /** The minted token (a Pulumi secret); it reaches the command on stdin only. */
  token: pulumi.Input<string>;
  /** The zones the token is scoped to, with their IDs. */
  zones: pulumi.Input<{ id: string; name: string }[]>;
  /** Cloudflare API base URL, when the provider is pointed elsewhere (`cloudflare:baseUrl`). */
  baseUrl?: string;
  /** The kubeconfig the Kubernetes provider deploys with: the cluster whose hostnames are read. */
  cluster: KubeconfigSource;
  /** The stack's sources. */
  sources: readonly string[];
  /** The annotation prefixes external-dns reads, the one that wins first. */
  annotationPrefixes: readonly string[];
  /** The stack's domain filters, exclusions and regexes. */
  filter: HostnameFilter;
}

/**
 * Rewrites the owner of this cluster's ownership records from `fromOwnerId`
 * to `toOwnerId` once (see ownerRenamePlan.ts). Give it `dependsOn` the chart:
 * it must run after the rollout that stopped the external-dns of the old
 * owner. It runs again only when its input changes, and then finds nothing
 * left to rename.
 */
export class TxtOwnerRename extends pulumi.ComponentResource {
  /** What the command did: one line per ownership record renamed, and a summary (no token). */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: TxtOwnerRenameArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vanixiets:dns:TxtOwnerRename", name, {}, opts);
    const input = pulumi.all([args.token, args.zones]).apply(([token, zones]): string =>
      JSON.stringify({
        fromOwnerId: args.fromOwnerId,
        toOwnerId: args.toOwnerId,
        txtPrefix: args.txtPrefix,
        token,
        baseUrl: args.baseUrl,
        zones,
        cluster: args.cluster,
        sources: [...args.sources],
        annotationPrefixes: [...args.annotationPrefixes],
        filter: {
          domainFilters: [...args.filter.domainFilters],
          excludeDomains: [...args.filter.excludeDomains],
          regexDomainFilter: args.filter.regexDomainFilter,
          regexDomainExclusion: args.filter.regexDomainExclusion,
        },
      } satisfies RenameCommandInput),
    );
    const rename = new command.local.Command(
      `${name}-rewrite`,
      {
        create: RENAME_COMMAND,
        dir: stepDirectory(),
        stdin: pulumi.secret(input),
        addPreviousOutputInEnv: false,
      },
      { parent: this },
    );
    this.report = rename.stdout;
    this.registerOutputs({ report: this.report });
  }
}
