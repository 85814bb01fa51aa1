import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../stacks/settings";
import { chartSource, chartValues, containerArgs, RELEASE_NAME } from "./chartValues";
import { CloudflareDnsToken } from "./cloudflareDnsToken";
import { EncryptedSopsSecret } from "./encryptedSopsSecret";
import { missingCrdHint, requiredGatewayCrds } from "./gatewayApi";
import type { TokenSpec } from "./tokenLifecycle";
import { type OwnershipRecord, ownershipRecords, sampleHosts } from "./txtRecords";

export interface ExternalDnsArgs {
  /** The stack's validated settings (see stacks/options.ts for each field). */
  settings: Settings;
  /** Name, expiry, rotation and owner of the Cloudflare token (see `tokenSpec`). */
  token: TokenSpec;
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

    const requiredCrds = requiredGatewayCrds(settings.sources);
    if (requiredCrds.length > 0)
      pulumi.log.info(missingCrdHint(requiredCrds, settings.sources), this);
    const gatewayCrds = requiredCrds.map((crd) =>
      k8s.apiextensions.v1.CustomResourceDefinition.get(`${name}-required-crd-${crd}`, crd, {
        parent: this,
      }),
    );

    const values = pulumi
      .all([token.zoneIds, secret.checksum])
      .apply(([zoneIds, checksum]) => chartValues(settings, zoneIds, checksum));

    this.releaseName = RELEASE_NAME;
    new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        ...chartSource(settings.chartRepository),
        name: RELEASE_NAME,
        version: settings.chartVersion,
        namespace: namespace.metadata.name,
        values,
      },
      { parent: this, dependsOn: [secret.resource, ...gatewayCrds] },
    );

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
}
