import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { OwnershipMoveSettings } from "./ownershipMovePlan";
import { stepDirectory } from "./stepDirectory";

/** What the move command reads on stdin, as JSON (a Pulumi secret: it holds the token). */
export interface MoveCommandInput extends OwnershipMoveSettings {
  /** The minted token: it may edit DNS records in exactly these zones. */
  token: string;
  /** Cloudflare API base URL (the provider's `cloudflare:baseUrl`); default Cloudflare's. */
  baseUrl?: string;
  zones: { id: string; name: string }[];
}

/**
 * The command that moves the records (commands/moveTxtOwnership.ts), run in
 * this package's root (stepDirectory) with the TypeScript loader `npm run plan`
 * uses. A relative path, so the step does not change when the checkout moves.
 */
export const MOVE_COMMAND = "node -r ts-node/register/transpile-only commands/moveTxtOwnership.ts";

export interface TxtOwnershipMoveArgs extends OwnershipMoveSettings {
  /** The minted token (a Pulumi secret); it reaches the command on stdin only. */
  token: pulumi.Input<string>;
  /** The zones the token is scoped to, with their IDs. */
  zones: pulumi.Input<{ id: string; name: string }[]>;
  /** Cloudflare API base URL, when the provider is pointed elsewhere (`cloudflare:baseUrl`). */
  baseUrl?: string;
}

/**
 * Moves this owner's ownership records from `fromPrefix` to `toPrefix` once
 * (see ownershipMovePlan.ts). Give it `dependsOn` the chart: it must run after
 * the rollout that stopped the external-dns writing the old names. The step
 * runs again only when its input changes (prefixes, owner, zones, token), and
 * then finds nothing left to move.
 */
export class TxtOwnershipMove extends pulumi.ComponentResource {
  /** What the command did: one line per record moved or deleted, and a summary (no token). */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: TxtOwnershipMoveArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vanixiets:dns:TxtOwnershipMove", name, {}, opts);
    const input = pulumi.all([args.token, args.zones]).apply(([token, zones]): string =>
      JSON.stringify({
        ownerId: args.ownerId,
        fromPrefix: args.fromPrefix,
        toPrefix: args.toPrefix,
        token,
        baseUrl: args.baseUrl,
        zones,
      } satisfies MoveCommandInput),
    );
    const move = new command.local.Command(
      `${name}-copy`,
      {
        create: MOVE_COMMAND,
        dir: stepDirectory(),
        stdin: pulumi.secret(input),
        addPreviousOutputInEnv: false,
      },
      { parent: this },
    );
    this.report = move.stdout;
    this.registerOutputs({ report: this.report });
  }
}
