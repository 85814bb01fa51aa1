/**
 * What must hold in the cluster before ExternalDns registers anything: the
 * Gateway API CRDs its sources need, serving the versions external-dns reads,
 * and no external-dns already running in its namespace whose records it would
 * orphan (or, with the same settings, one it may adopt only with the
 * Kubernetes provider's force switch). Each refusal is a plain RunError; a
 * cluster that cannot be read is a warning, and the checks run again on every
 * preview and up.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Source } from "../stacks/options";
import type { OptionName, Settings } from "../stacks/settings";
import {
  annotationNotice,
  annotationRefusal,
  describeReading,
  refusesUnread,
  unreadAnnotations,
} from "./annotationPrefixes";
import type { ClusterReader } from "./clusterAccess";
import { annotationReading, type ExternalDnsVersion } from "./externalDnsReleases";
import {
  crdShortfalls,
  missingCrdsMessage,
  requiredGatewayCrds,
  uncheckedCrdsMessage,
} from "./gatewayApi";
import { managesHostname } from "./hostnameFilter";
import { PlainRunError } from "./runError";
import {
  adoptionNeeded,
  adoptionNotice,
  helmReleaseRefusal,
  keepsOwnership,
  migrationRefusal,
  movesPrefix,
  ownerRenameNotice,
  PATCH_FORCE_VARIABLE,
  prefixMoveNotice,
  type RunningExternalDns,
  renamesOwner,
  type StackTxtRegistry,
  txtRegistryOf,
} from "./txtRegistry";

/**
 * Runs the checks; throws a refusal, or warns once when the cluster cannot be
 * read. Messages name the options by `name` (config keys, or arguments).
 */
export async function checkCluster(
  cluster: ClusterReader,
  settings: Settings,
  name: OptionName,
): Promise<void> {
  await refuseUnreachableCluster(cluster);
  const unchecked = [
    await checkGatewayCrds(cluster, settings.sources, settings.externalDnsVersion, name),
    await checkRunningExternalDns(cluster, settings, name),
    await checkAnnotationPrefixes(cluster, settings, name),
  ].filter((warning): warning is string => warning !== undefined);
  // One cluster, one warning: the checks fail to read it for the same reason.
  if (unchecked.length > 0) pulumi.log.warn(unchecked.join(" "));
}

/**
 * Fails when the cluster the chart deploys to cannot be reached: the Kubernetes
 * provider needs it to preview the chart too, and fails there with the SDK's
 * stack trace (measured: a preview with the kubeconfig pointing at a closed
 * port). Not when the provider only renders YAML, nor when the cluster is
 * created in this deployment; then the checks below warn instead.
 */
async function refuseUnreachableCluster(cluster: ClusterReader): Promise<void> {
  if (cluster.rendersOnly || cluster.awaitingCluster) return;
  const probe = await cluster.probe();
  if (probe.reachable) return;
  throw new PlainRunError(unreachableClusterRefusal(probe.reason));
}

/** `reason` as the reader words it (clusterProblem): no kubeconfig, the server unreachable, … */
export function unreachableClusterRefusal(reason: string): string {
  return `Could not read the cluster: ${reason}. The Kubernetes provider needs it to preview or deploy the chart. Nothing was changed. Check the kubeconfig the program uses (kubernetes:kubeconfig, else KUBECONFIG) and the connection to the cluster (a VPN?), then run again.`;
}

/**
 * Fails when an external-dns already runs in the namespace with TXT registry
 * settings other than the stack's: taking over would orphan every record it
 * owns (components/txtRegistry.ts), unless the stack moves them from its
 * prefix (`migrateFromTxtPrefix`, announced). With the same settings, one this
 * program did not deploy is taken over only by a run with the Kubernetes
 * provider's force switch, which it announces, and only once no Helm release
 * tracks it.
 * Returns the warning when it cannot ask.
 */
export async function checkRunningExternalDns(
  cluster: ClusterReader,
  settings: Settings,
  name: OptionName,
): Promise<string | undefined> {
  if (cluster.rendersOnly) return undefined;
  const lookup = await cluster.runningExternalDns(settings.namespace, settings.sources);
  if (!lookup.reachable)
    return `Could not check namespace ${settings.namespace} for a running external-dns with other TXT registry settings (${lookup.reason}); the check runs again on every preview and up.`;
  if (!lookup.running) return undefined;
  const stack: StackTxtRegistry = {
    registry: "txt",
    txtPrefix: settings.txtPrefix,
    txtSuffix: "",
    txtOwnerId: settings.txtOwnerId,
    migrateFromTxtPrefix: settings.migrateFromTxtPrefix,
    migrateFromTxtOwnerId: settings.migrateFromTxtOwnerId,
  };
  const current = txtRegistryOf(lookup.running.args);
  if (!keepsOwnership(current, stack)) {
    const { prefixes } = annotationReading(settings.externalDnsVersion, settings.annotationPrefix);
    const declared = (await lookup.declared(prefixes)).filter((entry) =>
      managesHostname(settings, entry.hostname),
    );
    throw new PlainRunError(migrationRefusal(lookup.running, stack, declared, name) ?? "");
  }
  if (!lookup.running.managedByPulumi) {
    if (process.env[PATCH_FORCE_VARIABLE] !== "true")
      throw new PlainRunError(adoptionNeeded(lookup.running, settings.namespace));
    const helmRelease = helmReleaseRefusal(lookup.running);
    if (helmRelease) throw new PlainRunError(helmRelease);
    pulumi.log.warn(adoptionNotice(lookup.running, settings.namespace));
  }
  const upgrade = versionChangeNotice(lookup.running, settings);
  if (upgrade) pulumi.log.info(upgrade);
  if (movesPrefix(current, stack)) pulumi.log.warn(prefixMoveNotice(lookup.running, stack, name));
  if (renamesOwner(current, stack)) pulumi.log.warn(ownerRenameNotice(lookup.running, stack, name));
  return undefined;
}

/** Fails when a reachable cluster lacks a Gateway API CRD or the version external-dns reads; returns the warning when it cannot ask. */
export async function checkGatewayCrds(
  cluster: ClusterReader,
  sources: Source[],
  version: ExternalDnsVersion,
  name: OptionName,
): Promise<string | undefined> {
  const crds = requiredGatewayCrds(sources, version);
  if (crds.length === 0) return undefined;
  const versions = await cluster.servedCrdVersions(crds.map((crd) => crd.name));
  if (!versions.reachable) return uncheckedCrdsMessage(crds, sources, versions.reason);
  const shortfalls = crdShortfalls(crds, (name) => versions.served[name]);
  if (shortfalls.length > 0)
    throw new PlainRunError(missingCrdsMessage(shortfalls, sources, name, version));
  return undefined;
}

/**
 * Refuses a deployment that would leave external-dns annotations of the
 * watched objects unread (annotationPrefixes.ts): with the legacy prefix kept,
 * objects annotated only under the new one on a version that reads one prefix.
 * With `annotationPrefix: current`, objects annotated only under the legacy
 * prefix are named in a warning instead: the stack opted into that.
 * Returns the warning when it cannot ask.
 */
export async function checkAnnotationPrefixes(
  cluster: ClusterReader,
  settings: Settings,
  name: OptionName,
): Promise<string | undefined> {
  if (cluster.rendersOnly) return undefined;
  const version = settings.externalDnsVersion;
  const reading = annotationReading(version, settings.annotationPrefix);
  const lookup = await cluster.annotatedObjects(settings.sources);
  if (!lookup.reachable)
    return `Could not check which external-dns annotations the watched objects carry (${lookup.reason}); ${describeReading(version, reading)}; the check runs again on every preview and up.`;
  const unread = unreadAnnotations(lookup.objects, reading.prefixes);
  if (unread.length === 0) return undefined;
  if (refusesUnread(settings.annotationPrefix))
    throw new PlainRunError(annotationRefusal(unread, version, reading, settings.policy, name));
  pulumi.log.warn(annotationNotice(unread, version, reading, settings.policy));
  return undefined;
}

/** What the up says when it moves this stack's external-dns to another version. */
function versionChangeNotice(running: RunningExternalDns, settings: Settings): string | undefined {
  const tag = `v${settings.externalDnsVersion}`;
  if (!running.managedByPulumi || running.image === undefined || running.image.endsWith(`:${tag}`))
    return undefined;
  const reading = annotationReading(settings.externalDnsVersion, settings.annotationPrefix);
  return (
    `Deployment ${running.deployment} runs ${running.image}; this up rolls it to external-dns ${tag} (chart ${settings.chartVersion}), ` +
    `the old pod stopping before the new one starts (Recreate). ${describeReading(settings.externalDnsVersion, reading)}.`
  );
}
