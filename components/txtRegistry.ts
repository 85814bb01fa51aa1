/**
 * Whether the external-dns this stack deploys would still own the records of
 * an external-dns that already runs in its namespace (a manual installation
 * being adopted, or this stack's own with changed settings).
 *
 * external-dns finds the records it owns through their ownership TXT records:
 * by name, from `--txt-prefix` / `--txt-suffix`, and by content, from
 * `--txt-owner-id`. Read in external-dns 0.14.2 (`registry/txt.go`) and 0.21.0
 * (`registry/txt/registry.go`, `registry/mapper/mapper.go`): 0.21.0 looks for
 * the typed name (`externaldns-a-web.example.com` for the prefix
 * `externaldns-`), which 0.14.2 also writes, so the same prefix and owner carry
 * ownership across; with any other prefix or owner, 0.21.0 finds none of them,
 * updates and deletes nothing it made, and cannot create those names again.
 */
import type { OptionName } from "../stacks/settings";
import type { DeclaredHostname } from "./declaredHostnames";
import { ownershipTxtName } from "./txtRecords";

/** The settings that decide which records an external-dns owns. */
export interface TxtRegistry {
  registry: string;
  txtPrefix: string;
  txtSuffix: string;
  txtOwnerId: string;
}

/** The stack's TXT registry settings, and the prefix or owner it moves ownership records from, if any. */
export interface StackTxtRegistry extends TxtRegistry {
  /** `external-dns:migrateFromTxtPrefix`. */
  migrateFromTxtPrefix?: string;
  /** `external-dns:migrateFromTxtOwnerId`. */
  migrateFromTxtOwnerId?: string;
}

/** external-dns's own defaults (the same in 0.14 and 0.21), for flags the args leave out. */
export const EXTERNAL_DNS_REGISTRY_DEFAULTS: TxtRegistry = {
  registry: "txt",
  txtPrefix: "",
  txtSuffix: "",
  txtOwnerId: "default",
};

const FLAGS: Record<keyof TxtRegistry, string> = {
  registry: "--registry",
  txtPrefix: "--txt-prefix",
  txtSuffix: "--txt-suffix",
  txtOwnerId: "--txt-owner-id",
};

/** An external-dns Deployment found in the stack's namespace. */
export interface RunningExternalDns {
  /** `namespace/name` of the Deployment. */
  deployment: string;
  /** Its external-dns container's image, e.g. `registry.k8s.io/external-dns/external-dns:v0.21.0`. */
  image?: string;
  /** Its external-dns container's args. */
  args: string[];
  /** Whether Pulumi's Kubernetes provider manages it (a field manager `pulumi-kubernetes…`): this stack's own. */
  managedByPulumi: boolean;
  /** The Helm release that still tracks it (`helm install`), if any. */
  helmRelease?: HelmRelease;
}

/** A Helm 3 release: its name, namespace, and the Secrets (`sh.helm.release.v1.<name>.v<n>`) that record it. */
export interface HelmRelease {
  name: string;
  namespace: string;
  secrets: string[];
}

/**
 * The Kubernetes provider's own switch for forcing server-side apply over
 * fields another manager owns (pulumi-kubernetes `patchForce`): how one
 * `pulumi up` takes over the objects of an installation made by hand.
 */
export const PATCH_FORCE_VARIABLE = "PULUMI_K8S_ENABLE_PATCH_FORCE";

/** Why an installation this program did not make is not taken over without the switch. */
export function adoptionNeeded(running: RunningExternalDns, namespace: string): string {
  return [
    `Deployment ${running.deployment} runs an external-dns that this program did not deploy, with the same TXT registry settings as this stack.`,
    `Taking it over replaces its objects in place (namespace ${namespace}, SopsSecret external-dns-cloudflare, the chart's Deployment, Service, ServiceAccount, ClusterRole and binding),`,
    "which their current field manager owns, so server-side apply must be forced once. Nothing was changed.",
    ...(running.helmRelease ? helmReleaseSteps(running.helmRelease) : []),
    `To adopt it, run this pulumi up once with ${PATCH_FORCE_VARIABLE}=true, then revoke the token it used (docs/migration.md: "Migrating a running installation").`,
  ].join("\n");
}

/** Why the adopting run stops while Helm still tracks the installation as a release. */
export function helmReleaseRefusal(running: RunningExternalDns): string | undefined {
  if (!running.helmRelease) return undefined;
  return [
    `Deployment ${running.deployment} is still part of a Helm release. Nothing was changed.`,
    ...helmReleaseSteps(running.helmRelease),
    `Then run this pulumi up again with ${PATCH_FORCE_VARIABLE}=true.`,
  ].join("\n");
}

/**
 * After a takeover, the release would still claim the objects: `helm uninstall`
 * would delete what the stack owns. Deleting the release's Secrets makes Helm
 * forget it and leaves the objects; the backup restores it for a rollback.
 */
function helmReleaseSteps(release: HelmRelease): string[] {
  const selector = `owner=helm,name=${release.name}`;
  return [
    `Helm still tracks it as release ${release.name} (Secrets ${release.secrets.join(", ")} in namespace ${release.namespace}): ` +
      "after the takeover, helm uninstall or helm upgrade would delete or change objects this stack owns.",
    "First back the release up and delete it (its objects stay):",
    `  kubectl -n ${release.namespace} get secret -l ${selector} -o yaml > helm-release-${release.name}.yaml`,
    `  kubectl -n ${release.namespace} delete secret -l ${selector}`,
  ];
}

/** What the adopting run says it does. */
export function adoptionNotice(running: RunningExternalDns, namespace: string): string {
  return (
    `Adopting the external-dns installation of Deployment ${running.deployment} (${PATCH_FORCE_VARIABLE}=true): ` +
    `its objects in namespace ${namespace} and the chart's cluster objects are taken over in place, the SopsSecret gets the minted token, ` +
    "and the Deployment rolls once (Recreate: the old pod stops before the new one starts). Revoke the token it used after this up."
  );
}

/** The TXT registry settings an external-dns runs with, from its args (`--flag=value` or `--flag value`). */
export function txtRegistryOf(args: readonly string[]): TxtRegistry {
  const value = (flag: string): string | undefined => {
    let found: string | undefined;
    args.forEach((arg, index) => {
      if (arg.startsWith(`${flag}=`)) found = arg.slice(flag.length + 1);
      else if (arg === flag) found = args[index + 1];
    });
    return found;
  };
  return Object.fromEntries(
    Object.entries(FLAGS).map(([key, flag]) => [
      key,
      value(flag) ?? EXTERNAL_DNS_REGISTRY_DEFAULTS[key as keyof TxtRegistry],
    ]),
  ) as unknown as TxtRegistry;
}

/** The flags whose values differ, as `--flag: "running" running, "stack" in this stack`. */
export function registryDifferences(running: TxtRegistry, stack: TxtRegistry): string[] {
  return (Object.keys(FLAGS) as (keyof TxtRegistry)[])
    .filter((key) => running[key] !== stack[key])
    .map(
      (key) =>
        `${FLAGS[key]}: ${JSON.stringify(running[key])} running, ${JSON.stringify(stack[key])} in this stack`,
    );
}

/** How many hostnames the refusal names; the rest are counted. */
const NAMED_HOSTNAMES = 10;

/**
 * Whether the records the running external-dns owns stay owned by the stack's:
 * the same settings, or only another prefix that the stack moves them from
 * (`migrateFromTxtPrefix`, see ownershipMovePlan.ts), or only another owner
 * that the stack renames them from (`migrateFromTxtOwnerId`, see ownerRenamePlan.ts).
 */
export function keepsOwnership(current: TxtRegistry, stack: StackTxtRegistry): boolean {
  const differences = registryDifferences(current, stack);
  return differences.length === 0 || movesPrefix(current, stack) || renamesOwner(current, stack);
}

/** Whether only the owner differs, and the stack renames the records from the running one. */
export function renamesOwner(current: TxtRegistry, stack: StackTxtRegistry): boolean {
  return (
    current.registry === "txt" &&
    current.txtSuffix === "" &&
    current.txtPrefix === stack.txtPrefix &&
    current.txtOwnerId !== stack.txtOwnerId &&
    current.txtOwnerId === stack.migrateFromTxtOwnerId
  );
}

/** What the run that renames this cluster's records to the stack's owner says it does. */
export function ownerRenameNotice(
  running: RunningExternalDns,
  stack: StackTxtRegistry,
  name: OptionName,
): string {
  const current = txtRegistryOf(running.args);
  return (
    `Renaming this cluster's ownership records from owner ${current.txtOwnerId} to ${stack.txtOwnerId} ` +
    `(${name("migrateFromTxtOwnerId")}): Deployment ${running.deployment} rolls to the new owner first (Recreate: the old pod stops before the new one starts); ` +
    "until the rename right after it, external-dns leaves the existing records as they are; then the owner is rewritten in the ownership records of the hostnames this cluster declares and its filters admit, " +
    `zone by zone, all or nothing per batch. Records of ${current.txtOwnerId} for hostnames this cluster does not declare (another cluster's) are left as they are.`
  );
}

/** Whether only the prefix differs, and the stack moves the records from the running one. */
export function movesPrefix(current: TxtRegistry, stack: StackTxtRegistry): boolean {
  return (
    current.registry === "txt" &&
    current.txtSuffix === "" &&
    current.txtOwnerId === stack.txtOwnerId &&
    current.txtPrefix !== stack.txtPrefix &&
    current.txtPrefix === stack.migrateFromTxtPrefix
  );
}

/** What the run that moves the records to the stack's prefix says it does. */
export function prefixMoveNotice(
  running: RunningExternalDns,
  stack: StackTxtRegistry,
  name: OptionName,
): string {
  const current = txtRegistryOf(running.args);
  return (
    `Moving the ownership records of owner ${stack.txtOwnerId} from prefix ${JSON.stringify(current.txtPrefix)} to ${JSON.stringify(stack.txtPrefix)} ` +
    `(${name("migrateFromTxtPrefix")}): Deployment ${running.deployment} rolls to the new prefix first (Recreate: the old pod stops before the new one starts); ` +
    "until the move right after it, external-dns leaves the existing records as they are; then each ownership record is copied to its new name and the old name deleted, zone by zone, all or nothing per batch."
  );
}

/**
 * Why this stack must not take over from the running external-dns, or
 * undefined when its records stay owned (see `keepsOwnership`).
 */
export function migrationRefusal(
  running: RunningExternalDns,
  stack: StackTxtRegistry,
  declared: readonly DeclaredHostname[],
  name: OptionName,
): string | undefined {
  const current = txtRegistryOf(running.args);
  if (keepsOwnership(current, stack)) return undefined;
  const differences = registryDifferences(current, stack);
  const hostnames = [...new Set(declared.map((entry) => entry.hostname))].sort();
  const examples = hostnames
    .slice(0, NAMED_HOSTNAMES)
    .map(
      (hostname) =>
        `  ${hostname}: owned through ${ownedThrough(hostname, current)}; this stack would look for ${ownershipTxtName(hostname, "A", stack.txtPrefix)}`,
    );
  const more = hostnames.length - examples.length;
  return [
    `Deployment ${running.deployment} already runs external-dns with other TXT registry settings than this stack:`,
    ...differences.map((difference) => `  ${difference}`),
    "external-dns finds the records it owns by the name and owner of their TXT records, so the records it made would be",
    "orphaned: never updated or deleted again, and their names blocked for new records. Of the names the cluster declares:",
    ...(examples.length > 0
      ? examples
      : ["  (none declared now; records it made earlier are affected all the same)"]),
    ...(more > 0 ? [`  … and ${more} more`] : []),
    ...remedy(current, stack, name),
  ].join("\n");
}

function remedy(current: TxtRegistry, stack: StackTxtRegistry, name: OptionName): string[] {
  if (current.registry !== "txt" || current.txtSuffix !== "")
    return [
      `Nothing was changed. This program writes TXT ownership records without a suffix (--registry=txt): move that installation to that form by hand first (docs/migration.md: "Migrating a running installation").`,
    ];
  const wrongMove =
    stack.migrateFromTxtPrefix !== undefined && stack.migrateFromTxtPrefix !== current.txtPrefix
      ? [
          `${name("migrateFromTxtPrefix")} is ${JSON.stringify(stack.migrateFromTxtPrefix)}, but the running external-dns names its ownership records with ${JSON.stringify(current.txtPrefix)}.`,
        ]
      : [];
  const wrongRename =
    stack.migrateFromTxtOwnerId !== undefined && stack.migrateFromTxtOwnerId !== current.txtOwnerId
      ? [
          `${name("migrateFromTxtOwnerId")} is ${JSON.stringify(stack.migrateFromTxtOwnerId)}, but the running external-dns writes owner ${JSON.stringify(current.txtOwnerId)}.`,
        ]
      : [];
  const keep = `set ${name("txtPrefix")} to ${JSON.stringify(current.txtPrefix)} and ${name("txtOwnerId")} to ${JSON.stringify(current.txtOwnerId)}`;
  if (current.txtPrefix === stack.txtPrefix) {
    const rename = `keep ${name("txtOwnerId")} and set ${name("migrateFromTxtOwnerId")} to ${JSON.stringify(current.txtOwnerId)}`;
    return [
      ...wrongRename,
      `Nothing was changed. To take over its records, ${keep}; or, to rename them to this stack's owner in the same up, ${rename} (docs/fleet.md: "Renaming an owner").`,
    ];
  }
  const move = `keep ${name("txtPrefix")}, set ${name("txtOwnerId")} to ${JSON.stringify(current.txtOwnerId)} and ${name("migrateFromTxtPrefix")} to ${JSON.stringify(current.txtPrefix)}`;
  return [
    ...wrongMove,
    `Nothing was changed. To take over its records, ${keep}; or, to move them to this stack's prefix in the same up, ${move} (docs/migration.md: "Migrating a running installation", "Moving to another TXT prefix").`,
  ];
}

/** The ownership TXT record of an A record at `hostname`, as the running settings name it. */
function ownedThrough(hostname: string, registry: TxtRegistry): string {
  if (registry.registry !== "txt") return `no TXT record (--registry=${registry.registry})`;
  if (registry.txtSuffix !== "")
    return `a TXT record named with --txt-suffix ${JSON.stringify(registry.txtSuffix)}`;
  return ownershipTxtName(hostname, "A", registry.txtPrefix);
}
