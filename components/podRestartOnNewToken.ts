import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RELEASE_NAME } from "./chartValues";
import type { KubeconfigSource } from "./clusterAccess";
import { TOKEN_SECRET_NAME } from "./sopsSecret";
import { stepDirectory } from "./stepDirectory";

/** What the restart command reads on stdin, as JSON (a Pulumi secret: a kubeconfig may hold credentials). */
export interface RestartCommandInput {
  cluster: KubeconfigSource;
  namespace: string;
  deployment: string;
  secretName: string;
}

/**
 * The command that restarts the pods (commands/restartOnNewToken.ts), run in
 * this package's root (stepDirectory) with the TypeScript loader `npm run plan` uses.
 */
export const RESTART_COMMAND =
  "node -r ts-node/register/transpile-only commands/restartOnNewToken.ts";

export interface PodRestartOnNewTokenArgs {
  /** The minted token's ID: the step runs again whenever it changes. */
  tokenId: pulumi.Input<string>;
  /** The kubeconfig the Kubernetes provider deploys with. */
  cluster: KubeconfigSource;
  /** Namespace of the external-dns Deployment. */
  namespace: string;
}

/**
 * Restarts external-dns when its pods started before the token Secret last
 * changed (see tokenRestart.ts): a token minted again under the same name
 * changes no pod template, so without this the pods keep the dead token. Give
 * it `dependsOn` the chart. It runs on the first up and whenever the token's
 * ID changes; after a rotation the chart has already rolled the pods, and it
 * finds nothing to do.
 */
export class PodRestartOnNewToken extends pulumi.ComponentResource {
  /** What the command found: a restart, or that the pods read the current token. */
  public readonly report: pulumi.Output<string>;

  constructor(
    name: string,
    args: PodRestartOnNewTokenArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("vanixiets:dns:PodRestartOnNewToken", name, {}, opts);
    const input: RestartCommandInput = {
      cluster: args.cluster,
      namespace: args.namespace,
      deployment: RELEASE_NAME,
      secretName: TOKEN_SECRET_NAME,
    };
    const restart = new command.local.Command(
      `${name}-check`,
      {
        create: RESTART_COMMAND,
        dir: stepDirectory(),
        stdin: pulumi.secret(JSON.stringify(input)),
        triggers: [args.tokenId],
        addPreviousOutputInEnv: false,
      },
      { parent: this },
    );
    this.report = restart.stdout;
    this.registerOutputs({ report: this.report });
  }
}
