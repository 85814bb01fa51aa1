/**
 * One cluster stack: validated settings in, the ExternalDns component and the
 * stack outputs out. index.ts calls it with the real cluster reader; the
 * offline plan and the tests call it with one that answers from their world.
 *
 * Async, so that what must hold before anything changes (valid config, the
 * Gateway API CRDs, no running external-dns whose records this stack would
 * orphan) fails the run with a plain RunError before any resource is registered.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterReader, KubeconfigSource } from "../components/clusterAccess";
import {
  crdShortfalls,
  missingCrdsMessage,
  requiredGatewayCrds,
  uncheckedCrdsMessage,
} from "../components/gatewayApi";
import { managesHostname } from "../components/hostnameFilter";
import { PlainRunError } from "../components/runError";
import { tokenSpec } from "../components/tokenLifecycle";
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
  renamesOwner,
  type StackTxtRegistry,
  txtRegistryOf,
} from "../components/txtRegistry";
import { ConfigError } from "./configError";
import { checkAgainstSiblings, fleetMembers } from "./fleet";
import type { Source } from "./options";
import type { LoadedConfig, Settings } from "./settings";
import type { StackFile } from "./stackFiles";
import { type StackOutputs, stackOutputs } from "./stackOutputs";

export interface StackEnvironment {
  /** The stack's config, validated (stacks/stackConfig.ts). */
  loaded: LoadedConfig;
  /**
   * The project's stack files (stacks/stackFiles.ts), this stack's own among
   * them or not: the owner IDs and filters of the other clusters of the fleet.
   */
  stackFiles(): StackFile[];
  /** A reader for the cluster the Kubernetes provider deploys to. */
  clusterReader(source: KubeconfigSource): ClusterReader;
  /** The clock that decides the token's rotation period. */
  now: Date;
}

export async function deployStack(environment: StackEnvironment): Promise<StackOutputs> {
  const { loaded } = environment;
  for (const warning of loaded.warnings) pulumi.log.warn(warning);
  if (loaded.kind === "invalid") throw new ConfigError(loaded.errors);
  if (loaded.kind === "disabled") {
    pulumi.log.info(
      "external-dns:enabled is false: this stack manages no DNS, so nothing is deployed.",
    );
    return stackOutputs(undefined);
  }
  const { settings } = loaded;
  checkFleet(settings, environment);
  const target = await targetCluster(settings);
  const kubeconfig = await target.source;
  const cluster = environment.clusterReader(kubeconfig);
  const unchecked = [
    await checkGatewayCrds(cluster, settings.sources),
    await checkRunningExternalDns(cluster, settings),
  ].filter((warning): warning is string => warning !== undefined);
  // One cluster, one warning: both checks fail to read it for the same reason.
  if (unchecked.length > 0) pulumi.log.warn(unchecked.join(" "));
  // Loaded once the checks passed: a refused run does not pay for the provider SDKs.
  const { ExternalDns } = await import("../components/externalDns");
  const externalDns = new ExternalDns(
    "external-dns",
    {
      settings,
      token: tokenSpec(settings, pulumi.getStack(), environment.now),
      cluster,
      kubeconfig,
      cloudflareBaseUrl: new pulumi.Config("cloudflare").get("baseUrl"),
    },
    { providers: target.provider ? { kubernetes: target.provider } : undefined },
  );
  return stackOutputs(externalDns);
}

/**
 * Refuses an owner ID another stack of the project uses on a shared zone, and
 * warns about hostnames another stack admits too (stacks/fleet.ts), before
 * anything is registered.
 */
function checkFleet(settings: Settings, environment: StackEnvironment): void {
  let files: StackFile[];
  try {
    files = environment.stackFiles();
  } catch (error) {
    pulumi.log.warn(
      `Could not read the project's stack files, so this stack was not checked against the other stacks: ${(error as Error).message}`,
    );
    return;
  }
  const siblings = fleetMembers(files, environment.now);
  const check = checkAgainstSiblings(pulumi.getStack(), settings, siblings);
  for (const warning of check.warnings) pulumi.log.warn(warning);
  if (check.errors.length > 0)
    throw new ConfigError(
      check.errors,
      "stack config conflicts with another stack of this project",
    );
}

/**
 * The cluster to deploy to: the `kubeconfig` output of `clusterStack` through
 * an explicit provider, or else the ambient Kubernetes provider and its config.
 */
async function targetCluster(settings: Settings): Promise<{
  provider?: k8s.Provider;
  source: Promise<KubeconfigSource>;
}> {
  if (settings.clusterStack) {
    const reference = new pulumi.StackReference(settings.clusterStack);
    const { Provider } = await import("@pulumi/kubernetes");
    return {
      provider: new Provider("cluster", {
        kubeconfig: reference.requireOutput("kubeconfig"),
      }),
      // Never the ambient kubeconfig here: a missing output makes the reader report it cannot load one.
      source: reference.getOutputDetails("kubeconfig").then((details) => {
        const value = details.value ?? details.secretValue ?? "";
        return { kubeconfig: typeof value === "string" ? value : JSON.stringify(value) };
      }),
    };
  }
  const config = new pulumi.Config("kubernetes");
  return {
    source: Promise.resolve({
      kubeconfig: config.get("kubeconfig"),
      context: config.get("context"),
      rendersOnly: config.get("renderYamlToDirectory") !== undefined,
    }),
  };
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
async function checkRunningExternalDns(
  cluster: ClusterReader,
  settings: Settings,
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
    const declared = (await lookup.declared()).filter((entry) =>
      managesHostname(settings, entry.hostname),
    );
    throw new PlainRunError(migrationRefusal(lookup.running, stack, declared) ?? "");
  }
  if (!lookup.running.managedByPulumi) {
    if (process.env[PATCH_FORCE_VARIABLE] !== "true")
      throw new PlainRunError(adoptionNeeded(lookup.running, settings.namespace));
    const helmRelease = helmReleaseRefusal(lookup.running);
    if (helmRelease) throw new PlainRunError(helmRelease);
    pulumi.log.warn(adoptionNotice(lookup.running, settings.namespace));
  }
  if (movesPrefix(current, stack)) pulumi.log.warn(prefixMoveNotice(lookup.running, stack));
  if (renamesOwner(current, stack)) pulumi.log.warn(ownerRenameNotice(lookup.running, stack));
  return undefined;
}

/** Fails when a reachable cluster lacks a Gateway API CRD or the version external-dns reads; returns the warning when it cannot ask. */
async function checkGatewayCrds(
  cluster: ClusterReader,
  sources: Source[],
): Promise<string | undefined> {
  const crds = requiredGatewayCrds(sources);
  if (crds.length === 0) return undefined;
  const versions = await cluster.servedCrdVersions(crds.map((crd) => crd.name));
  if (!versions.reachable) return uncheckedCrdsMessage(crds, sources, versions.reason);
  const shortfalls = crdShortfalls(crds, (name) => versions.served[name]);
  if (shortfalls.length > 0) throw new PlainRunError(missingCrdsMessage(shortfalls, sources));
  return undefined;
}
