/**
 * How one resource's planned inputs differ from its deployed ones, and
 * whether the difference updates it in place or replaces it, the way the
 * engine and the providers this program uses decide.
 */
import { parse } from "yaml";
import { type DeployedResource, isStateSecret } from "./deployedState";
import { ENCRYPTED_AT_DEPLOY, MINTED_AT_DEPLOY, TOKEN_ID_AT_DEPLOY } from "./world";

/** Values the plan only knows to be new: a secret that carries one has changed. */
const NEW_AT_DEPLOY = [MINTED_AT_DEPLOY, TOKEN_ID_AT_DEPLOY, ENCRYPTED_AT_DEPLOY];

/**
 * The dotted paths at which `planned` differs from `deployed` (objects are
 * compared key by key, lists as a whole, as a JSON merge patch would).
 * The state keeps secrets encrypted and the plan does not decrypt them: a
 * secret counts as changed exactly when its planned value carries a value
 * that is new at deploy (the token minted anew, its ID). Keys the engine or a
 * provider adds (`__defaults`, …) are not the program's and are skipped.
 */
export function changedPaths(deployed: unknown, planned: unknown, path = ""): string[] {
  if (isStateSecret(deployed)) return carriesNewValue(planned) ? [path] : [];
  if (isPlainObject(deployed) && isPlainObject(planned)) {
    const keys = new Set([...Object.keys(deployed), ...Object.keys(planned)]);
    return [...keys]
      .filter((key) => !key.startsWith("__"))
      .sort()
      .flatMap((key) => changedPaths(deployed[key], planned[key], path ? `${path}.${key}` : key));
  }
  if (isAbsent(deployed) && isAbsent(planned)) return [];
  return JSON.stringify(deployed) === JSON.stringify(planned) ? [] : [path];
}

/**
 * The paths at which a resource's planned inputs differ from its deployed
 * ones. A command's stdin is a secret the plan cannot compare, but what sops
 * printed shows it in part: sops encrypts only the `…Templates` keys, so the
 * rest of the deployed output (kind, metadata: the namespace) is what stdin
 * held, and a change there changes stdin.
 */
export function inputChanges(
  deployed: DeployedResource,
  planned: Record<string, unknown>,
): string[] {
  const paths = changedPaths(deployed.inputs, planned);
  if (paths.includes("stdin") || !isStateSecret(deployed.inputs.stdin)) return paths;
  const printed = parseYaml(deployed.outputs.stdout);
  if (!isPlainObject(printed) || !isPlainObject(printed.sops)) return paths;
  return JSON.stringify(readableSopsParts(printed)) ===
    JSON.stringify(readableSopsParts(parseYaml(planned.stdin)))
    ? paths
    : [...paths, "stdin"].sort();
}

function parseYaml(text: unknown): unknown {
  try {
    return typeof text === "string" ? parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** A manifest without what sops encrypts (`…Templates`) or adds (`sops`). */
function readableSopsParts(document: unknown): unknown {
  if (!isPlainObject(document)) return document;
  const { sops: _added, ...rest } = document;
  const spec = isPlainObject(rest.spec)
    ? Object.fromEntries(Object.entries(rest.spec).filter(([key]) => !key.endsWith("Templates")))
    : rest.spec;
  return { ...rest, spec };
}

/** Whether a change at any of `paths` touches one of the fields that replace the resource. */
export function isReplacedBy(paths: readonly string[], replaceFields: readonly string[]): boolean {
  return paths.some((path) =>
    replaceFields.some((field) => path === field || path.startsWith(`${field}.`)),
  );
}

/**
 * The fields whose change replaces a resource of this type, besides its own
 * `replaceOnChanges`:
 * - Kubernetes objects: `metadata.name` and `metadata.namespace`, and a
 *   Deployment's `spec.selector` (pulumi-kubernetes,
 *   provider/pkg/provider/forcenew.go: `metadataForceNewProperties` and the
 *   `forceNew` table);
 * - `command:local:Command`: `triggers` when it has no `update` command
 *   (@pulumi/command local/command.d.ts: "If the `update` command was
 *   provided the resource will be updated, otherwise it will be replaced");
 * - an account-owned token: `accountId`, which is part of the token's URL
 *   (`/accounts/{account_id}/tokens/{token_id}`): a token cannot move accounts.
 */
export function providerReplaceFields(type: string, planned: Record<string, unknown>): string[] {
  if (type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm.sh/")) {
    const fields = ["metadata.name", "metadata.namespace"];
    return type === "kubernetes:apps/v1:Deployment" ? [...fields, "spec.selector"] : fields;
  }
  if (type === "command:local:Command") return planned.update === undefined ? ["triggers"] : [];
  if (type === "cloudflare:index/accountToken:AccountToken") return ["accountId"];
  return [];
}

function carriesNewValue(value: unknown): boolean {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  return NEW_AT_DEPLOY.some((marker) => text.includes(marker));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}
