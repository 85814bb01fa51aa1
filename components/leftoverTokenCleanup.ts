import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { stepDirectory } from "./stepDirectory";

/** What the cleanup command reads on stdin, as JSON (a Pulumi secret: it holds the bootstrap token). */
export interface CleanupCommandInput {
  /** The token that mints (`cloudflare:apiToken`); undefined: the command takes CLOUDFLARE_API_TOKEN. */
  bootstrapToken?: string;
  /** Account of an account-owned token; undefined for a user token. */
  accountId?: string;
  /** Cloudflare API base URL (the provider's `cloudflare:baseUrl`); default Cloudflare's. */
  baseUrl?: string;
  /** The name of the token the stack holds. */
  name: string;
  /** Its ID: every other token of that name goes. */
  keepId: string;
}

/**
 * The command that deletes the leftovers (commands/deleteLeftoverTokens.ts), run in
 * this package's root (stepDirectory) with the TypeScript loader `npm run plan` uses.
 */
export const CLEANUP_COMMAND =
  "node -r ts-node/register/transpile-only commands/deleteLeftoverTokens.ts";

export interface LeftoverTokenCleanupArgs {
  /** The name of the stack's token (the same within a rotation period). */
  name: string;
  /** The minted token's ID: the step runs again whenever it changes (it is part of stdin). */
  tokenId: pulumi.Input<string>;
  /** Account of an account-owned token. */
  accountId?: string;
  /** Cloudflare API base URL, when the provider is pointed elsewhere. */
  baseUrl?: string;
}

/**
 * Deletes the other tokens that carry the stack's token name. Two ways leave
 * one at Cloudflare that no stack knows: a `pulumi up` killed after Cloudflare
 * minted the token but before its answer reached the state (the rerun mints
 * another under the same name), and a connection lost after Cloudflare minted
 * it (the provider's client sends the POST again: cloudflare-go v7.9.0
 * internal/requestconfig/requestconfig.go retries 5xx, 429 and lost
 * connections, with no idempotency key). Only tokens of exactly this name go,
 * and never the token the step kept the last time it ran (its previous
 * output): a replacement under the same name (a new expiry, `--replace`)
 * still has that one in the state, and Pulumi deletes it at the end of the up.
 */
export class LeftoverTokenCleanup extends pulumi.ComponentResource {
  /** What the command did: the tokens it deleted, or that there were none (never a token value). */
  public readonly report: pulumi.Output<string>;

  constructor(
    name: string,
    args: LeftoverTokenCleanupArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("vanixiets:dns:LeftoverTokenCleanup", name, {}, opts);
    // The default provider's token mints; a program with its own provider sets CLOUDFLARE_API_TOKEN.
    const bootstrapToken = new pulumi.Config("cloudflare").getSecret("apiToken");
    const input = pulumi.all([bootstrapToken, args.tokenId]).apply(([token, keepId]): string =>
      JSON.stringify({
        bootstrapToken: token,
        accountId: args.accountId,
        baseUrl: args.baseUrl,
        name: args.name,
        keepId,
      } satisfies CleanupCommandInput),
    );
    const cleanup = new command.local.Command(
      `${name}-delete`,
      {
        create: CLEANUP_COMMAND,
        // A new token ID changes stdin, which updates the step (a changed trigger would replace
        // it): the update reads in PULUMI_COMMAND_STDOUT which token the last run kept.
        update: CLEANUP_COMMAND,
        dir: stepDirectory(),
        stdin: pulumi.secret(input),
        addPreviousOutputInEnv: true,
      },
      { parent: this },
    );
    this.report = cleanup.stdout;
    this.registerOutputs({ report: this.report });
  }
}
