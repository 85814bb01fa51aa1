/**
 * Runs the real program offline, under Pulumi's mocks: what index.ts runs
 * (`deployStack`), the same code path `pulumi up` takes, with a stand-in
 * "world" answering for Cloudflare, the cluster and the sops command. The plan and the tests both
 * run the program through here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AnnotatedObject } from "../components/annotationPrefixes";
import {
  answerClusterReadsWith,
  type ClusterReader,
  type KubeconfigSource,
  sha256Hex,
} from "../components/clusterAccess";
import type { DeclaredHostname } from "../components/declaredHostnames";
import { CLEANUP_COMMAND } from "../components/leftoverTokenCleanup";
import { RESTART_COMMAND } from "../components/podRestartOnNewToken";
import { OPERATOR_HEALTHY } from "../components/sopsDecryption";
import { RENAME_COMMAND } from "../components/txtOwnerRename";
import { MOVE_COMMAND } from "../components/txtOwnershipMove";
import type { RunningExternalDns } from "../components/txtRegistry";
import { CONFIG_NAMESPACE } from "../stacks/settings";
import { loadStackSettings } from "../stacks/stackConfig";
import type { StackFile } from "../stacks/stackFiles";
import type { StackOutputs } from "../stacks/stackOutputs";
import { deployStack } from "../stacks/stackProgram";

/** The ownership move's report, which only its run at deploy time knows. */
export const MOVED_AT_DEPLOY = "<ownership records moved at deploy>";
/** The owner rename's report, likewise. */
export const RENAMED_AT_DEPLOY = "<ownership records renamed at deploy>";
/** The stdout the pod restart step gets offline: the cluster answers at deploy time. */
export const RESTART_CHECKED_AT_DEPLOY = "<pods checked for the token at deploy>";

/** The stdout the leftover-token cleanup gets offline: Cloudflare answers at deploy time. */
export const LEFTOVERS_CHECKED_AT_DEPLOY = "<leftover tokens checked at deploy>";

/** What the program's own steps print offline, by command; any other command is the sops encryption. */
const STEP_OUTPUTS: Record<string, string> = {
  [MOVE_COMMAND]: MOVED_AT_DEPLOY,
  [RENAME_COMMAND]: RENAMED_AT_DEPLOY,
  [RESTART_COMMAND]: RESTART_CHECKED_AT_DEPLOY,
  [CLEANUP_COMMAND]: LEFTOVERS_CHECKED_AT_DEPLOY,
};

/** What the outside world would answer at deploy time. */
export interface OfflineWorld {
  /** ID of a zone looked up by name. */
  zoneId(name: string): string;
  /** Permission groups Cloudflare's name filter returns for `name`. */
  permissionGroups(name: string): { id: string; name: string }[];
  /** The value and ID of the token Cloudflare mints. */
  mintedToken: { value: string; id: string };
  /** The token for these inputs, when it depends on them (a deployed stack's); default: `mintedToken`. */
  tokenFor?(type: string, inputs: Record<string, unknown>): { value: string; id: string };
  /** stdout of the sops command, given the command resource's inputs and name. */
  runCommand(inputs: Record<string, unknown>, name: string): string;
  /** Outputs of a referenced stack. */
  stackOutputs(stack: string): Record<string, unknown>;
  /** The versions a CRD serves in the cluster; undefined: it is not installed. */
  servedCrdVersions(name: string): readonly string[] | undefined;
  /** The project's stack files the program checks this stack against; undefined: none. */
  stackFiles?(): StackFile[];
  /** Why the cluster cannot be read directly; undefined: it can. */
  clusterUnreachable?: string;
  /** The operator's status for the SopsSecret; undefined: Healthy, with the minted token in the Secret. */
  operatorStatus?: string;
  /** An external-dns already running in the stack's namespace, and the hostnames the cluster declares. */
  runningExternalDns?: RunningExternalDns;
  declaredHostnames?: DeclaredHostname[];
  /** The watched objects that carry external-dns annotations; undefined: none. */
  annotatedObjects?: AnnotatedObject[];
  /**
   * A real cluster to read for the checks made before any change (CRD versions,
   * an external-dns already running), given the program's kubeconfig source;
   * undefined: the world answers those too.
   */
  liveCluster?(source: KubeconfigSource): LiveClusterChecks;
}

/** The read-only part of the cluster the program checks before any change. */
export type LiveClusterChecks = Pick<
  ClusterReader,
  "probe" | "servedCrdVersions" | "runningExternalDns" | "annotatedObjects"
>;

/** The cluster as the program reads it directly, answered from the world (or its live cluster). */
export function worldClusterReader(
  world: OfflineWorld,
  source: KubeconfigSource = {},
): ClusterReader {
  const live = world.liveCluster?.(source);
  return {
    ...worldAnswers(world),
    rendersOnly: source.rendersOnly ?? false,
    ...(live && {
      probe: () => live.probe(),
      servedCrdVersions: (names: readonly string[]) => live.servedCrdVersions(names),
      runningExternalDns: (namespace: string, sources: readonly string[]) =>
        live.runningExternalDns(namespace, sources),
      annotatedObjects: (sources: readonly string[]) => live.annotatedObjects(sources),
    }),
  };
}

/** The token value each world last answered a token with (see `tokenFor`). */
const handedOutTokens = new WeakMap<OfflineWorld, string>();

function worldAnswers(world: OfflineWorld): ClusterReader {
  return {
    rendersOnly: false,
    async probe() {
      return world.clusterUnreachable
        ? { reachable: false, reason: world.clusterUnreachable }
        : { reachable: true };
    },
    async servedCrdVersions(names) {
      if (world.clusterUnreachable) return { reachable: false, reason: world.clusterUnreachable };
      const served = names.map((name) => [name, world.servedCrdVersions(name)?.slice()]);
      return { reachable: true, served: Object.fromEntries(served) };
    },
    async runningExternalDns() {
      if (world.clusterUnreachable) return { reachable: false, reason: world.clusterUnreachable };
      return {
        reachable: true,
        running: world.runningExternalDns,
        declared: async () => world.declaredHostnames ?? [],
      };
    },
    async annotatedObjects() {
      if (world.clusterUnreachable) return { reachable: false, reason: world.clusterUnreachable };
      return { reachable: true, objects: world.annotatedObjects ?? [] };
    },
    async observeSopsSecret() {
      if (world.operatorStatus) return { status: world.operatorStatus };
      // The operator decrypts what sops was given: the token the world last handed out.
      return {
        status: OPERATOR_HEALTHY,
        secretValueSha256: sha256Hex(handedOutTokens.get(world) ?? world.mintedToken.value),
      };
    },
    // The offline world's pods always read the current token.
    async restartPodsOnStaleToken() {
      return { restarted: false };
    },
  };
}

export interface RegisteredResource {
  type: string;
  name: string;
  /** A custom resource (a provider's), not a component. */
  custom: boolean;
  /** Inputs with secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** Inputs as the engine receives them: secrets still marked as secrets. */
  wireInputs: Record<string, unknown>;
  id?: string;
}

export interface OfflineRecord {
  resources: RegisteredResource[];
  invokes: { token: string; args: Record<string, unknown> }[];
  ofType(type: string): RegisteredResource[];
}

/** A resource as the program constructed it, before Pulumi serialized its inputs. */
export interface ConstructedResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts: pulumi.ResourceOptions;
  resource: pulumi.Resource;
}

export type ProgramExports = StackOutputs;

export function newRecord(): OfflineRecord {
  const record: OfflineRecord = {
    resources: [],
    invokes: [],
    ofType: (type) => record.resources.filter((resource) => resource.type === type),
  };
  return record;
}

/** Installs Pulumi mocks that answer from `world` and record what the program does. */
export async function installOfflineMocks(
  stack: string,
  world: OfflineWorld,
  record: OfflineRecord,
): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(wireArgs) {
        const inputs = unwrapSecrets(wireArgs.inputs) as Record<string, unknown>;
        record.resources.push({
          type: wireArgs.type,
          name: wireArgs.name,
          custom: wireArgs.custom ?? true,
          inputs,
          wireInputs: wireArgs.inputs,
          id: wireArgs.id,
        });
        return newResourceState(wireArgs.type, wireArgs.name, inputs, world);
      },
      call(args) {
        record.invokes.push({ token: args.token, args: args.inputs });
        switch (args.token) {
          case "cloudflare:index/getZone:getZone": {
            const name = (args.inputs.filter as { name: string }).name;
            return { id: world.zoneId(name), name };
          }
          case "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList":
          case "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList":
            return {
              results: world.permissionGroups(decodeURIComponent(String(args.inputs.name))),
            };
          default:
            throw rpcError(`no offline answer for invoke ${args.token}`);
        }
      },
    },
    CONFIG_NAMESPACE,
    stack,
    false,
  );
}

/** Pulumi's mock monitor passes on an error's `details`, not its message. */
function rpcError(message: string): Error {
  return Object.assign(new Error(message), { details: message });
}

function newResourceState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  world: OfflineWorld,
): { id: string; state: Record<string, unknown> } {
  switch (type) {
    case "cloudflare:index/apiToken:ApiToken":
    case "cloudflare:index/accountToken:AccountToken": {
      const token = world.tokenFor?.(type, inputs) ?? world.mintedToken;
      handedOutTokens.set(world, token.value);
      return { id: token.id, state: { ...inputs, value: token.value, status: "active" } };
    }
    case "command:local:Command":
      return {
        id: `${name}-id`,
        state: {
          ...inputs,
          stdout: STEP_OUTPUTS[String(inputs.create)] ?? world.runCommand(inputs, name),
          stderr: "",
        },
      };
    case "pulumi:pulumi:StackReference": {
      const stack = String(inputs.name);
      return { id: stack, state: { ...inputs, outputs: world.stackOutputs(stack) } };
    }
    default:
      return { id: `${name}-id`, state: inputs };
  }
}

/** Replaces the engine's secret markers by the values they carry. */
export function unwrapSecrets(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value))
    return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (
    typeof value === "object" &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]),
    );
  }
  return value;
}

export interface OfflineStart<Exports = ProgramExports> {
  record: OfflineRecord;
  constructed: ConstructedResource[];
  /** Settles when the program has run, not when its resources are registered. */
  outcome: Promise<Exports>;
}

/** Starts the program with a stack's config (fully qualified keys, values as Pulumi passes them). */
export function startOffline(
  stack: string,
  config: Record<string, string>,
  world: OfflineWorld,
  record: OfflineRecord = newRecord(),
): Promise<OfflineStart> {
  // What index.ts runs, with the world's stack files.
  const program = () =>
    deployStack({
      loaded: loadStackSettings(),
      stackFiles: () => world.stackFiles?.() ?? [],
      now: new Date(),
    });
  return startOfflineProgram(stack, config, world, program, record);
}

/** Starts any program (e.g. one that builds the component directly) under the world's mocks. */
export async function startOfflineProgram<Exports extends object>(
  stack: string,
  config: Record<string, string>,
  world: OfflineWorld,
  program: () => Promise<Exports>,
  record: OfflineRecord = newRecord(),
): Promise<OfflineStart<Exports>> {
  pulumi.runtime.setAllConfig(config);
  await installOfflineMocks(stack, world, record);
  // The component reads its cluster through this: the world's cluster instead of the real one.
  answerClusterReadsWith((source) => worldClusterReader(world, source));
  const constructed: ConstructedResource[] = [];
  let exports: Exports | undefined;
  const outcome = pulumi.runtime
    .runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((args) => {
        constructed.push({ ...args });
        return undefined;
      });
      exports = await program();
      // As the Pulumi runtime does: the program's exports become the stack outputs.
      return { ...exports };
    })
    .then(() => {
      if (!exports) throw new Error("the program did not load");
      return exports;
    });
  return { record, constructed, outcome };
}

export interface OfflineRun<Exports = ProgramExports> {
  record: OfflineRecord;
  constructed: ConstructedResource[];
  exports: Exports;
}

/** Runs the program and waits until every resource it constructed is registered. */
export async function runOffline(
  stack: string,
  config: Record<string, string>,
  world: OfflineWorld,
): Promise<OfflineRun> {
  return finishOffline(await startOffline(stack, config, world));
}

/** Waits for a started program and every resource it constructed, then closes the mocks. */
export async function finishOffline<Exports>(
  start: OfflineStart<Exports>,
): Promise<OfflineRun<Exports>> {
  const { record, constructed, outcome } = start;
  const exports = await outcome;
  await settle(constructed);
  // Drains the last calls (the stack's outputs) and closes the mock monitor: the run is complete.
  await pulumi.runtime.disconnect();
  return { record, constructed, exports };
}

async function settle(constructed: ConstructedResource[]): Promise<void> {
  let settled = -1;
  while (settled !== constructed.length) {
    settled = constructed.length;
    await Promise.all(constructed.map(({ resource }) => resolved(resource.urn)));
  }
}

/** The value of an Output (known values only, as under mocks). */
export function resolved<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
