/**
 * The plan's stand-in for the outside world: every value only known at deploy
 * time is a named placeholder, so the plan needs no credentials or network.
 */
import { parse, stringify } from "yaml";
import type { OfflineWorld } from "./offline";

export const MINTED_AT_DEPLOY = "<minted at deploy>";
export const TOKEN_ID_AT_DEPLOY = "<token id, known after deploy>";
export const ENCRYPTED_AT_DEPLOY = "<encrypted by sops at deploy>";

export function zoneIdPlaceholder(zoneName: string): string {
  return `<zone id of ${zoneName}, looked up at deploy>`;
}

export function permissionGroupPlaceholder(groupName: string): string {
  return `<id of permission group "${groupName}">`;
}

export function kubeconfigPlaceholder(stack: string): string {
  return `<kubeconfig output of stack ${stack}>`;
}

export function isKubeconfigPlaceholder(kubeconfig: string | undefined): boolean {
  return kubeconfig?.startsWith("<kubeconfig output of stack ") ?? false;
}

/** The permission group name a placeholder ID stands for. */
export function permissionGroupName(id: string): string {
  return /^<id of permission group "(.+)">$/.exec(id)?.[1] ?? id;
}

export const planWorld: OfflineWorld = {
  zoneId: zoneIdPlaceholder,
  permissionGroups: (name) => [{ id: permissionGroupPlaceholder(name), name }],
  mintedToken: { value: MINTED_AT_DEPLOY, id: TOKEN_ID_AT_DEPLOY },
  runCommand: standInEncryption,
  stackOutputs: (stack) => ({ kubeconfig: kubeconfigPlaceholder(stack) }),
  // The program reads the CRDs from the cluster before any change; offline, assume they are there,
  // serving the versions external-dns reads.
  servedCrdVersions: () => ["v1", "v1alpha2"],
};

/** What sops would print, with every value it encrypts replaced by a placeholder. */
function standInEncryption(inputs: Record<string, unknown>): string {
  const manifest = parse(String(inputs.stdin));
  const encrypt = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(encrypt)
      : typeof value === "object" && value !== null
        ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, encrypt(inner)]))
        : ENCRYPTED_AT_DEPLOY;
  manifest.spec.secretTemplates = encrypt(manifest.spec.secretTemplates);
  manifest.sops = { encrypted_suffix: "Templates" };
  return stringify(manifest);
}
