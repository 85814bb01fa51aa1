import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../stacks/settings";
import {
  chartSource,
  chartValues,
  containerArgs,
  RELEASE_NAME,
  tokenRolloutChecksum,
} from "./chartValues";
import { CloudflareDnsToken } from "./cloudflareDnsToken";
import {
  type ClusterReader,
  type KubeconfigSource,
  type SopsSecretTarget,
  sha256Hex,
} from "./clusterAccess";
import { EncryptedSopsSecret } from "./encryptedSopsSecret";
import { PlainRunError } from "./runError";
import { waitForDecryption } from "./sopsDecryption";
import { SOPS_SECRET_NAME, TOKEN_SECRET_KEY, TOKEN_SECRET_NAME } from "./sopsSecret";
import type { TokenSpec } from "./tokenLifecycle";
import { TxtOwnerRename } from "./txtOwnerRename";
import { TxtOwnershipMove } from "./txtOwnershipMove";
import { type OwnershipRecord, ownershipRecords, sampleHosts } from "./txtRecords";

export interface ExternalDnsArgs {
  /** The stack's validated settings (see stacks/options.ts for each field). */
  settings: Settings;
  /** Name, expiry, rotation and owner of the Cloudflare token (see `tokenSpec`). */
  token: TokenSpec;
  /**
   * Reads the cluster the Kubernetes provider deploys to, for the operator's
   * progress after the SopsSecret is applied (see clusterAccess.ts).
   */
  cluster: ClusterReader;
  /** The kubeconfig the Kubernetes provider deploys with: where the owner rename reads the declared hostnames. */
  kubeconfig: KubeconfigSource;
  /** Cloudflare API base URL, when the provider is pointed elsewhere (`cloudflare:baseUrl`). */
  cloudflareBaseUrl?: string;
}

/** Pod Security Standard labels for the namespace: the chart's defaults meet `restricted`. */
export const RESTRICTED_POD_SECURITY_LABELS = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

/**
 * External-DNS for Cloudflare: a zone-scoped token, delivered through a
 * sops-encrypted SopsSecret, and the external-dns chart reading it.
 */
export class ExternalDns extends pulumi.ComponentResource {
  /** Namespace external-dns runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** Helm release name of the chart. */
  public readonly releaseName: string;
  /** Cloudflare ID of the minted token (never its value). */
  public readonly tokenId: pulumi.Output<string>;
  /** When the token expires (RFC 3339); undefined: never. */
  public readonly tokenExpiresOn: string | undefined;
  /** When the next `pulumi up` mints a replacement token (RFC 3339); undefined: no rotation. */
  public readonly tokenNextRotation: string | undefined;
  /** Cloudflare zone IDs the token is scoped to. */
  public readonly zoneIds: pulumi.Output<string[]>;
  /** The external-dns container arguments the chart renders. */
  public readonly externalDnsArgs: pulumi.Output<string[]>;
  /** Ownership TXT record names for the apex and `www.` of each domain filter (or zone, under a regex filter) that external-dns manages. */
  public readonly ownershipTxtRecords: OwnershipRecord[];

  constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vanixiets:dns:ExternalDns", name, {}, opts);
    const { settings } = args;

    const token = new CloudflareDnsToken(
      `${name}-token`,
      {
        name: args.token.name,
        zones: settings.zones,
        allowedCidrs: settings.tokenAllowedCidrs,
        expiresOn: args.token.expiresOn,
        accountId: args.token.accountId,
      },
      { parent: this },
    );

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: settings.namespace, labels: RESTRICTED_POD_SECURITY_LABELS } },
      { parent: this },
    );

    const secret = new EncryptedSopsSecret(
      `${name}-cloudflare`,
      {
        namespace: namespace.metadata.name,
        token: token.value,
        recipients: settings.sopsAgeRecipients,
        outputFile: settings.sopsSecretFile,
      },
      { parent: this },
    );

    const rolloutChecksum = tokenRolloutChecksum({
      tokenName: args.token.name,
      tokenExpiresOn: args.token.expiresOn,
      tokenAccountId: args.token.accountId,
      recipients: settings.sopsAgeRecipients,
      namespace: settings.namespace,
    });
    const values = token.zoneIds.apply((zoneIds) =>
      chartValues(settings, zoneIds, rolloutChecksum),
    );
    // On up, the chart starts (or rolls) external-dns only once the operator has
    // put this token into the Secret. The dry run shows the values at once.
    const decrypted = pulumi
      .all([secret.resource.id, namespace.metadata.name, token.value])
      .apply(([_id, namespaceName, tokenValue]) =>
        this.waitForOperator(args.cluster, namespaceName, tokenValue),
      );
    const chartValuesInput = pulumi.runtime.isDryRun()
      ? values
      : pulumi.all([values, pulumi.unsecret(decrypted)]).apply(([ready]) => ready);

    this.releaseName = RELEASE_NAME;
    const chart = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        ...chartSource(settings.chartRepository),
        name: RELEASE_NAME,
        version: settings.chartVersion,
        namespace: namespace.metadata.name,
        values: chartValuesInput,
      },
      { parent: this, dependsOn: [secret.resource] },
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
          baseUrl: args.cloudflareBaseUrl,
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
          baseUrl: args.cloudflareBaseUrl,
          cluster: args.kubeconfig,
          sources: settings.sources,
          filter: settings,
        },
        { parent: this, dependsOn: [chart] },
      );
    }

    this.namespace = namespace.metadata.name;
    this.tokenId = token.tokenId;
    this.tokenExpiresOn = args.token.expiresOn;
    this.tokenNextRotation = args.token.nextRotation;
    this.zoneIds = token.zoneIds;
    this.externalDnsArgs = values.apply(containerArgs);
    this.ownershipTxtRecords = ownershipRecords(
      sampleHosts(
        settings,
        settings.zones.map((zone) => zone.name),
      ),
      settings.txtPrefix,
    );
    this.registerOutputs({
      namespace: this.namespace,
      releaseName: this.releaseName,
      tokenId: this.tokenId,
      tokenExpiresOn: this.tokenExpiresOn,
      tokenNextRotation: this.tokenNextRotation,
      zoneIds: this.zoneIds,
      externalDnsArgs: this.externalDnsArgs,
      ownershipTxtRecords: this.ownershipTxtRecords,
    });
  }

  /** Waits until the operator has put this token into the Secret (see sopsDecryption.ts). */
  private async waitForOperator(
    reader: ClusterReader,
    namespace: string,
    tokenValue: string,
  ): Promise<void> {
    if (reader.rendersOnly) return;
    const target: SopsSecretTarget = {
      namespace,
      sopsSecretName: SOPS_SECRET_NAME,
      secretName: TOKEN_SECRET_NAME,
      secretKey: TOKEN_SECRET_KEY,
    };
    await waitForDecryption(reader, target, sha256Hex(tokenValue), runErrorWithoutStack);
  }
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
