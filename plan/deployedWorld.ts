/**
 * The plan's world for a deployed stack: what the outside world answered at
 * the last deployment, read from its state, wherever the config still asks
 * the same. Where the config asks something new (a token with another name, a
 * new zone, a re-encryption), it answers with the plan's placeholders, so the
 * comparison sees exactly what changes and what follows from it.
 */
import { TOKEN_REPLACE_ON_CHANGES } from "../components/cloudflareDnsToken";
import { TOKEN_PERMISSION_GROUPS } from "../components/tokenPolicy";
import type { DeployedResource, DeployedState } from "./deployedState";
import type { OfflineWorld } from "./offline";
import { changedPaths, inputChanges, isReplacedBy, providerReplaceFields } from "./resourceDiff";

/** The value of the deployed token, which the state keeps encrypted and the plan never reads. */
export const DEPLOYED_TOKEN_VALUE = "<the deployed token>";

/** The token's resource types: owned by the bootstrap token's user, or by an account. */
export const TOKEN_TYPES = [
  "cloudflare:index/apiToken:ApiToken",
  "cloudflare:index/accountToken:AccountToken",
];

/** The deployed resource of this type and name (the last part of its URN). */
export function deployedResource(
  state: DeployedState,
  type: string,
  name: string,
): DeployedResource | undefined {
  return state.resources.find(
    (resource) => resource.type === type && resource.urn.endsWith(`::${name}`),
  );
}

/**
 * @param zoneNames the stack's zones, in the order of its config: a zone named
 *   without an ID gets the ID deployed at its position (the stack output
 *   `zoneIds` keeps that order).
 */
export function deployedWorld(
  state: DeployedState,
  base: OfflineWorld,
  zoneNames: readonly string[],
): OfflineWorld {
  const stackOutputs = state.resources.find(
    (resource) => resource.type === "pulumi:pulumi:Stack",
  )?.outputs;
  const deployedZoneIds = Array.isArray(stackOutputs?.zoneIds) ? stackOutputs.zoneIds : [];
  const token = state.resources.find((resource) => TOKEN_TYPES.includes(resource.type));
  return {
    ...base,
    zoneId(name) {
      const id = deployedZoneIds[zoneNames.indexOf(name)];
      return typeof id === "string" ? id : base.zoneId(name);
    },
    permissionGroups(name) {
      const id = deployedPermissionGroupIds(token)[TOKEN_PERMISSION_GROUPS.indexOf(name as never)];
      return id ? [{ id, name }] : base.permissionGroups(name);
    },
    tokenFor(type, inputs) {
      const kept =
        token?.type === type &&
        token.id !== undefined &&
        !isReplacedBy(changedPaths(token.inputs, inputs), [
          ...TOKEN_REPLACE_ON_CHANGES,
          ...providerReplaceFields(type, inputs),
        ]);
      return kept ? { value: DEPLOYED_TOKEN_VALUE, id: token.id as string } : base.mintedToken;
    },
    runCommand(inputs, name) {
      const deployed = deployedResource(state, "command:local:Command", name);
      const stdout = deployed?.outputs.stdout;
      const unchanged = deployed && inputChanges(deployed, inputs).length === 0;
      return unchanged && typeof stdout === "string" ? stdout : base.runCommand(inputs, name);
    },
  };
}

/** The permission group IDs of the deployed token's policy, in the order the program lists them. */
function deployedPermissionGroupIds(token: DeployedResource | undefined): string[] {
  const policies = token?.inputs.policies;
  if (!Array.isArray(policies)) return [];
  const groups = (policies[0] as { permissionGroups?: { id?: unknown }[] }).permissionGroups ?? [];
  return groups.map((group) => String(group.id));
}
