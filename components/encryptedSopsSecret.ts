import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  BACKGROUND_DELETION_ANNOTATION,
  parseEncryptedSopsSecret,
  SOPS_SECRET_API_VERSION,
  SOPS_SECRET_KIND,
  SOPS_SECRET_NAME,
  sopsEncryptInvocation,
  sopsSecretYaml,
} from "./sopsSecret";

export interface EncryptedSopsSecretArgs {
  /** Namespace of the SopsSecret and of the Secret the operator creates from it. */
  namespace: pulumi.Input<string>;
  /** The Cloudflare token. Handled as a Pulumi secret; it reaches sops on stdin only. */
  token: pulumi.Input<string>;
  /** age public keys that can decrypt the SopsSecret (include the operator's). */
  recipients: string[];
  /** Also write the encrypted manifest to this path (GitOps copy). */
  outputFile?: string;
}

/**
 * The token, encrypted by the real `sops` CLI for age recipients and applied as
 * a SopsSecret. The command re-runs only when its inputs change (token,
 * recipients, namespace, output file), so an unchanged stack never re-encrypts.
 */
export class EncryptedSopsSecret extends pulumi.ComponentResource {
  /** The encrypted manifest as sops wrote it. */
  public readonly encryptedYaml: pulumi.Output<string>;
  /**
   * The SopsSecret custom resource: what sops wrote, plus a pulumi.com annotation
   * for its deletion (the operator ignores the sops MAC, and so metadata changes).
   */
  public readonly resource: k8s.apiextensions.CustomResource;

  constructor(name: string, args: EncryptedSopsSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vanixiets:dns:EncryptedSopsSecret", name, {}, opts);

    const invocation = sopsEncryptInvocation({
      recipients: args.recipients,
      outputFile: args.outputFile,
    });
    const plaintext = pulumi.secret(
      pulumi
        .all([args.namespace, args.token])
        .apply(([namespace, token]) => sopsSecretYaml(namespace, token)),
    );
    const encrypt = new command.local.Command(
      `${name}-sops-encrypt`,
      {
        create: invocation.command,
        environment: invocation.environment,
        stdin: plaintext,
        // The encrypted manifest is not echoed into the logs; sops's errors are.
        logging: command.types.enums.local.Logging.Stderr,
        addPreviousOutputInEnv: false,
      },
      { parent: this },
    );

    this.encryptedYaml = encrypt.stdout;
    const applied = encrypt.stdout.apply(parseEncryptedSopsSecret);

    this.resource = new k8s.apiextensions.CustomResource(
      SOPS_SECRET_NAME,
      {
        // Kind and metadata are known before encryption, so preview can show them.
        apiVersion: SOPS_SECRET_API_VERSION,
        kind: SOPS_SECRET_KIND,
        metadata: {
          name: SOPS_SECRET_NAME,
          namespace: args.namespace,
          annotations: BACKGROUND_DELETION_ANNOTATION,
        },
        spec: applied.apply((document) => document.spec),
        sops: applied.apply((document) => document.sops),
      },
      { parent: this },
    );

    this.registerOutputs({ encryptedYaml: this.encryptedYaml });
  }
}
