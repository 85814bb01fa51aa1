import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../stacks/configError";
import type { OptionName, Settings } from "../stacks/settings";
import {
  type ChartValues,
  chartSource,
  chartValues,
  containerArgs,
  RELEASE_NAME,
  tokenRolloutChecksum,
} from "./chartValues";
import { CloudflareDnsToken } from "./cloudflareDnsToken";
import {
  type ClusterReader,
  clusterReader,
  type KubeconfigSource,
  type SopsSecretTarget,
  sha256Hex,
  unreadableCluster,
} from "./clusterAccess";
import { checkCluster } from "./clusterChecks";
import { EncryptedSopsSecret } from "./encryptedSopsSecret";
import { annotationReading } from "./externalDnsReleases";

export type * from "./externalDnsArgs";

import { ARGUMENT_NAMING, componentSettings, type ExternalDnsArgs } from "./externalDnsArgs";
import { knownValue } from "./knownValue";
import { LeftoverTokenCleanup } from "./leftoverTokenCleanup";
import { PodRestartOnNewToken } from "./podRestartOnNewToken";
import { PlainRunError } from "./runError";
import { waitForDecryption } from "./sopsDecryption";
import { SOPS_SECRET_NAME, TOKEN_SECRET_KEY, TOKEN_SECRET_NAME } from "./sopsSecret";
import { NEVER, type TokenSpec, tokenSpec } from "./tokenLifecycle";
import { TxtOwnerRename } from "./txtOwnerRename";
import { TxtOwnershipMove } from "./txtOwnershipMove";
import { type OwnershipRecord, sampleOwnershipRecords } from "./txtRecords";

/** Pod Security Standard labels for the namespace: the chart's defaults meet `restricted`. */
export const RESTRICTED_POD_SECURITY_LABELS = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

/** What the component's async construction makes: its children, once the checks passed. */
interface Children {
  token: CloudflareDnsToken;
  namespace: k8s.core.v1.Namespace;
  values: pulumi.Output<ChartValues>;
}

/**
 * What `initialize` builds the children from. Handed over under a symbol key,
 * which Pulumi does not send to the engine: the component records no inputs.
 */
const CONSTRUCTION = Symbol("ExternalDns construction");
interface Construction {
  name: string;
  args: ExternalDnsArgs;
  settings: Settings;
  token: TokenSpec;
}

/**
 * External-DNS for Cloudflare: a Cloudflare token scoped to the zones, minted
 * by the Cloudflare provider's token, delivered through a sops-encrypted
 * SopsSecret that sops-secrets-operator turns into a Secret, and the
 * external-dns chart reading it. Before it registers anything, it validates its
 * arguments and checks the cluster (components/clusterChecks.ts).
 */
export class ExternalDns extends pulumi.ComponentResource {
  /** Namespace external-dns runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** Helm release name of the chart. */
  public readonly releaseName: pulumi.Output<string>;
  /** Cloudflare ID of the minted token (never its value). */
  public readonly tokenId: pulumi.Output<string>;
  /** When the token expires (RFC 3339), or `never`. */
  public readonly tokenExpiresOn: pulumi.Output<string>;
  /** From when the next `pulumi up` mints a replacement token (RFC 3339), or `never` without rotation. */
  public readonly tokenNextRotation: pulumi.Output<string>;
  /** Cloudflare zone IDs the token is scoped to. */
  public readonly zoneIds: pulumi.Output<string[]>;
  /** The external-dns container arguments the chart renders. */
  public readonly externalDnsArgs: pulumi.Output<string[]>;
  /** Ownership TXT record names for the apex and `www.` of each domain filter (or zone, under a regex filter) that external-dns manages. */
  public readonly ownershipTxtRecords: pulumi.Output<OwnershipRecord[]>;

  constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    const loaded = componentSettings(args);
    if (loaded.kind !== "enabled")
      throw new ConfigError(
        loaded.kind === "invalid" ? loaded.errors : [],
        `invalid arguments of ExternalDns ${name}`,
      );
    const { settings } = loaded;
    const token = tokenSpec(settings, pulumi.getStack(), new Date());
    const construction: Construction = { name, args, settings, token };
    // Pulumi runs `initialize` (the checks, then the children) and waits for it
    // wherever a resource depends on this component.
    super("vanixiets:dns:ExternalDns", name, { [CONSTRUCTION]: construction }, opts);
    this.reportWarnings(loaded.warnings);

    const children = this.getData() as Promise<Children>;
    const fromChildren = <T>(pick: (made: Children) => pulumi.Output<T>) =>
      pulumi.output(children.then(pick));

    this.namespace = fromChildren((made) => made.namespace.metadata.name);
    this.releaseName = pulumi.output(RELEASE_NAME);
    this.tokenId = fromChildren((made) => made.token.tokenId);
    this.tokenExpiresOn = pulumi.output(token.expiresOn ?? NEVER);
    this.tokenNextRotation = pulumi.output(token.nextRotation ?? NEVER);
    this.zoneIds = fromChildren((made) => made.token.zoneIds);
    this.externalDnsArgs = fromChildren((made) => made.values.apply(containerArgs));
    this.ownershipTxtRecords = pulumi.output(
      sampleOwnershipRecords(
        settings,
        settings.zones.map((zone) => zone.name),
        settings.txtPrefix,
      ),
    );
    this.registerOutputs(
      children.then(
        () => ({
          namespace: this.namespace,
          releaseName: this.releaseName,
          tokenId: this.tokenId,
          tokenExpiresOn: this.tokenExpiresOn,
          tokenNextRotation: this.tokenNextRotation,
          zoneIds: this.zoneIds,
          externalDnsArgs: this.externalDnsArgs,
          ownershipTxtRecords: this.ownershipTxtRecords,
        }),
        // A refusal reaches the program through the outputs and `ready()`.
        () => ({}),
      ),
    );
  }

  /**
   * Resolves once the checks passed and the children are registered; rejects
   * with the reason a check refused. A program awaits it to end the run with
   * that message before it registers anything of its own.
   */
  ready(): Promise<void> {
    return this.getData().then(() => undefined);
  }

  /** How the cluster checks' messages name an option: by its argument, e.g. `registry.txtPrefix`. */
  protected optionName(option: string): string {
    return ARGUMENT_NAMING.key(option);
  }

  /** Logs what the argument checks warn about. */
  protected reportWarnings(warnings: readonly string[]): void {
    for (const warning of warnings) pulumi.log.warn(warning);
  }

  /**
   * Checks the cluster this component deploys to before anything is
   * registered (a refusal rejects), then creates the children. Its reader
   * serves the wait for the operator later.
   */
  protected override async initialize(inputs: pulumi.Inputs): Promise<Children> {
    const { name, args, settings, token } = (inputs as { [CONSTRUCTION]: Construction })[
      CONSTRUCTION
    ];
    const cluster = await deploymentCluster(this, name, args.cluster);
    await checkCluster(cluster.reader, settings, (option) => this.optionName(option));
    return this.createChildren(name, settings, token, args, cluster);
  }

  private createChildren(
    name: string,
    settings: Settings,
    tokenSpec: TokenSpec,
    args: ExternalDnsArgs,
    cluster: DeploymentCluster,
  ): Children {
    const onCluster = { parent: this, ...(cluster.provider && { provider: cluster.provider }) };
    // The steps call the API the default Cloudflare provider mints through.
    const cloudflareBaseUrl =
      args.cloudflareBaseUrl ?? new pulumi.Config("cloudflare").get("baseUrl");
    const token = new CloudflareDnsToken(
      `${name}-token`,
      {
        name: tokenSpec.name,
        zones: settings.zones,
        allowedCidrs: settings.tokenAllowedCidrs,
        expiresOn: tokenSpec.expiresOn,
        accountId: tokenSpec.accountId,
      },
      { parent: this },
    );

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: settings.namespace, labels: RESTRICTED_POD_SECURITY_LABELS } },
      onCluster,
    );

    const secret = new EncryptedSopsSecret(
      `${name}-cloudflare`,
      {
        namespace: namespace.metadata.name,
        token: token.value,
        recipients: settings.sopsAgeRecipients,
        outputFile: settings.sopsSecretFile,
      },
      onCluster,
    );

    const rolloutChecksum = tokenRolloutChecksum({
      tokenName: tokenSpec.name,
      tokenExpiresOn: tokenSpec.expiresOn,
      tokenAccountId: tokenSpec.accountId,
      recipients: settings.sopsAgeRecipients,
      namespace: settings.namespace,
    });
    const values = token.zoneIds.apply((zoneIds) =>
      chartValues(settings, zoneIds, rolloutChecksum),
    );
    // On up, the chart starts (or rolls) external-dns only once the operator has
    // put this token into the Secret. A preview waits for nothing and shows the values at once.
    let chartValuesInput = values;
    if (!pulumi.runtime.isDryRun()) {
      const decrypted = pulumi
        .all([secret.resource.id, namespace.metadata.name, token.value])
        .apply(([_id, namespaceName, tokenValue]) =>
          waitForOperator(cluster.reader, namespaceName, tokenValue, (option) =>
            this.optionName(option),
          ),
        );
      chartValuesInput = pulumi.all([values, pulumi.unsecret(decrypted)]).apply(([ready]) => ready);
    }

    const chart = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        ...chartSource(settings.chartRepository),
        name: RELEASE_NAME,
        version: settings.chartVersion,
        namespace: namespace.metadata.name,
        values: chartValuesInput,
      },
      { ...onCluster, dependsOn: [secret.resource] },
    );

    const zonesWithIds = token.zoneIds.apply((ids) =>
      ids.map((id, index) => ({ id, name: settings.zones[index].name })),
    );
    if (settings.migrateFromTxtPrefix !== undefined) {
      // After the chart: the rollout has stopped the external-dns that wrote the old names.
      new TxtOwnershipMove(
        `${name}-txt-ownership-move`,
        {
          ownerId: settings.txtOwnerId,
          fromPrefix: settings.migrateFromTxtPrefix,
          toPrefix: settings.txtPrefix,
          token: token.value,
          zones: zonesWithIds,
          baseUrl: cloudflareBaseUrl,
        },
        { parent: this, dependsOn: [chart] },
      );
    }

    if (settings.migrateFromTxtOwnerId !== undefined) {
      // After the chart: the rollout has stopped the external-dns of the old owner.
      new TxtOwnerRename(
        `${name}-txt-owner-rename`,
        {
          fromOwnerId: settings.migrateFromTxtOwnerId,
          toOwnerId: settings.txtOwnerId,
          txtPrefix: settings.txtPrefix,
          token: token.value,
          zones: zonesWithIds,
          baseUrl: cloudflareBaseUrl,
          cluster: cluster.source,
          sources: settings.sources,
          annotationPrefixes: annotationReading(
            settings.externalDnsVersion,
            settings.annotationPrefix,
          ).prefixes,
          filter: settings,
        },
        { parent: this, dependsOn: [chart] },
      );
    }
    // After the chart, and again whenever the token changes: pods still reading a dead token restart.
    if (!cluster.reader.rendersOnly)
      new PodRestartOnNewToken(
        `${name}-token-restart`,
        {
          tokenId: token.tokenId,
          cluster: cluster.source,
          namespace: settings.namespace,
        },
        { parent: this, dependsOn: [chart] },
      );
    // Another token of this name is one Cloudflare minted without the state learning of it.
    new LeftoverTokenCleanup(
      `${name}-leftover-tokens`,
      {
        name: tokenSpec.name,
        tokenId: token.tokenId,
        accountId: tokenSpec.accountId,
        baseUrl: cloudflareBaseUrl,
      },
      { parent: this },
    );
    return { token, namespace, values };
  }
}

/** The cluster a component deploys to: its reader, the kubeconfig, and a provider of its own if it needs one. */
interface DeploymentCluster {
  reader: ClusterReader;
  source: KubeconfigSource;
  provider?: k8s.Provider;
}

/**
 * The cluster of `clusterArgs`: its kubeconfig through a provider of the
 * component's own, unless the resource options pass a `kubernetes` provider
 * (which must point at the same cluster); without a kubeconfig, the ambient
 * one and the Kubernetes provider's config.
 */
async function deploymentCluster(
  component: ExternalDns,
  name: string,
  clusterArgs: ExternalDnsArgs["cluster"],
): Promise<DeploymentCluster> {
  const config = new pulumi.Config("kubernetes");
  const rendersOnly = config.get("renderYamlToDirectory") !== undefined;
  if (clusterArgs?.kubeconfig === undefined) {
    // A provider's kubeconfig cannot be read back from it: the checks need it as an argument.
    if (component.getProvider("kubernetes::"))
      pulumi.log.warn(
        `ExternalDns ${name} deploys with the kubernetes provider it was given, but reads the ambient kubeconfig for its cluster checks: pass that cluster's kubeconfig as cluster.kubeconfig too.`,
        component,
      );
    const source = {
      kubeconfig: config.get("kubeconfig"),
      context: clusterArgs?.context ?? config.get("context"),
      rendersOnly,
    };
    return { reader: clusterReader(source), source };
  }
  const provider = component.getProvider("kubernetes::")
    ? undefined
    : new k8s.Provider(
        `${name}-cluster`,
        { kubeconfig: clusterArgs.kubeconfig, context: clusterArgs.context },
        { parent: component },
      );
  const kubeconfig = await knownValue(clusterArgs.kubeconfig);
  const source: KubeconfigSource = {
    kubeconfig,
    ...(clusterArgs.context !== undefined && { context: clusterArgs.context }),
    ...(rendersOnly && { rendersOnly }),
  };
  const reader =
    kubeconfig === undefined
      ? {
          ...unreadableCluster(
            "its kubeconfig is not known yet: the cluster is created in this deployment",
          ),
          awaitingCluster: true,
        }
      : clusterReader(source);
  return { reader, source, provider };
}

/** Waits until the operator has put this token into the Secret (see sopsDecryption.ts). */
async function waitForOperator(
  reader: ClusterReader,
  namespace: string,
  tokenValue: string,
  name: OptionName,
): Promise<void> {
  if (reader.rendersOnly) return;
  const target: SopsSecretTarget = {
    namespace,
    sopsSecretName: SOPS_SECRET_NAME,
    secretName: TOKEN_SECRET_NAME,
    secretKey: TOKEN_SECRET_KEY,
  };
  await waitForDecryption(reader, target, sha256Hex(tokenValue), runErrorWithoutStack, name);
}

/**
 * A RunError whose stack is only its message. The engine prints a RunError's
 * message alone, but the SDK also quotes the stack of the error that failed
 * the chart's inputs when the chart's outputs cannot be resolved.
 */
function runErrorWithoutStack(message: string): pulumi.RunError {
  const error = new PlainRunError(message);
  error.stack = message;
  return error;
}
