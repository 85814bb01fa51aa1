/**
 * The stack program: one cluster stack's validated config in, the ExternalDns
 * component and the stack outputs out. index.ts runs it; the offline plan and
 * the tests run it under Pulumi's mocks.
 *
 * What holds for a stack and not for the component happens here: `enabled`,
 * the config's own errors and warnings (named by their config keys), the
 * checks against the project's other stacks (stacks/fleet.ts), and the
 * cluster of `clusterStack`. The component checks the cluster itself; the
 * program awaits those checks, so that every refusal ends the run with its own
 * message before anything is registered.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ExternalDns, ExternalDnsArgs } from "../components/externalDns";
import { usesRegexFilter } from "../components/hostnameFilter";
import { tokenSpec } from "../components/tokenLifecycle";
import { ConfigError } from "./configError";
import { checkAgainstSiblings, fleetMembers } from "./fleet";
import { CONFIG_NAMING, type LoadedConfig, type Settings } from "./settings";
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
  /** The clock that decides the token's rotation period. */
  now: Date;
}

/** The component's name in every stack (its children's names, and so their URNs, follow from it). */
export const COMPONENT_NAME = "external-dns";

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
  const target = await clusterOfStack(settings);
  // Loaded once the config holds: a refused config does not pay for the provider SDKs.
  const { ExternalDns } = await import("../components/externalDns");
  /** The component, naming options by their config keys; it has reported the config's warnings already. */
  class StackExternalDns extends ExternalDns {
    protected override reportWarnings(): void {}
    protected override optionName(option: string): string {
      return CONFIG_NAMING.key(option);
    }
  }
  const externalDns: ExternalDns = new StackExternalDns(
    COMPONENT_NAME,
    componentArgs(settings, target.cluster, new pulumi.Config("cloudflare").get("baseUrl")),
    { providers: target.provider ? { kubernetes: target.provider } : undefined },
  );
  await externalDns.ready();
  return stackOutputs({
    externalDns,
    settings,
    token: tokenSpec(settings, pulumi.getStack(), environment.now),
  });
}

/**
 * The component's arguments for a stack's validated settings: every option
 * but the stack's own (`enabled`, `cloudflareIdentity`, `clusterStack`), where
 * the component has it. The component validates them again, with the same
 * declarations, and so arrives at the same settings.
 */
export function componentArgs(
  settings: Settings,
  cluster?: ExternalDnsArgs["cluster"],
  cloudflareBaseUrl?: string,
): ExternalDnsArgs {
  return {
    zones: settings.zones.map((zone) => ({ ...zone })),
    token: {
      allowedCidrs: settings.tokenAllowedCidrs,
      rotationDays: settings.tokenRotationDays,
      rotationOffsetDays: settings.tokenRotationOffsetDays,
      expiresOn: settings.tokenExpiresOn,
      owner: settings.tokenOwner,
      accountId: settings.accountId,
    },
    // Under a regex the domain lists are empty, and must stay unset.
    filters: usesRegexFilter(settings)
      ? {
          regexDomainFilter: settings.regexDomainFilter,
          regexDomainExclusion: settings.regexDomainExclusion,
        }
      : { domainFilters: settings.domainFilters, excludeDomains: settings.excludeDomains },
    sources: settings.sources,
    annotationPrefix: settings.annotationPrefix,
    policy: settings.policy,
    registry: {
      txtOwnerId: settings.txtOwnerId,
      txtPrefix: settings.txtPrefix,
      migrateFromTxtPrefix: settings.migrateFromTxtPrefix,
      migrateFromTxtOwnerId: settings.migrateFromTxtOwnerId,
    },
    chart: {
      version: settings.chartVersion,
      externalDnsVersion: settings.externalDnsVersion,
      repository: settings.chartRepository,
      namespace: settings.namespace,
      interval: settings.interval,
      triggerLoopOnEvent: settings.triggerLoopOnEvent,
      dryRun: settings.dryRun,
      proxied: settings.proxied,
      recordsPerPage: settings.recordsPerPage,
      resources: settings.resources,
    },
    sops: { ageRecipients: settings.sopsAgeRecipients, secretFile: settings.sopsSecretFile },
    cluster,
    cloudflareBaseUrl,
  };
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
 * The cluster of `clusterStack`: its `kubeconfig` output, through a provider
 * at the stack's top level (where it has always been, so its URN stays), and
 * given to the component for its checks. Without `clusterStack`, the component
 * uses the ambient kubeconfig.
 */
async function clusterOfStack(
  settings: Settings,
): Promise<{ provider?: k8s.Provider; cluster?: ExternalDnsArgs["cluster"] }> {
  if (!settings.clusterStack) return {};
  const reference = new pulumi.StackReference(settings.clusterStack);
  const kubeconfig = reference
    .requireOutput("kubeconfig")
    .apply((value) => (typeof value === "string" ? value : JSON.stringify(value)));
  const { Provider } = await import("@pulumi/kubernetes");
  return { provider: new Provider("cluster", { kubeconfig }), cluster: { kubeconfig } };
}
