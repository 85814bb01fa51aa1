/**
 * The test world: made-up answers from Cloudflare, the cluster and sops, for
 * running the program under Pulumi's mocks (see plan/offline.ts).
 */
import { parse, stringify } from "yaml";
import {
  installOfflineMocks,
  newRecord,
  type OfflineRecord,
  type OfflineWorld,
  resolved,
} from "../../plan/offline";
import type { StackFile } from "../../stacks/stackFiles";

export { resolved };
export type MockRecord = OfflineRecord;

/** The made-up token value the fake Cloudflare provider mints. */
export const MINTED_TOKEN = "cf-minted-token-Zx81Qv7wLr3Np0Ks";
export const TOKEN_ID = "4d3f1a6b2c7e8f9a0b1c2d3e4f5a6b7c";

export const LOOKED_UP_ZONE_IDS: Record<string, string> = {
  "example.org": "9f86d081884c7d659a2feaa0c55ad015",
  "example.net": "3c59dc048e8850243be8079a5c74d079",
};

export const PERMISSION_GROUPS = [
  { id: "4755a26eedb94da69e1066d98aa820be", name: "DNS Write" },
  { id: "c8fed203ed3043cba015a93ad1616f1f", name: "Zone Read" },
  // Cloudflare's name filter is not exact: decoys that must not be picked.
  { id: "82e64a83756745bbbb1c9c2701bf816b", name: "DNS Read" },
  { id: "e6d2666161e84845a636613608cee8d5", name: "Zone Read (legacy)" },
];

export const FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";

export interface MockOptions {
  /** Produces the Command's stdout from its inputs; defaults to `fakeEncrypt`. */
  runCommand?: (inputs: Record<string, unknown>) => string;
  /** CRDs that the fake cluster does not have. */
  missingCrds?: string[];
  /** Versions served per CRD name; default: v1 and v1alpha2 (what external-dns reads). */
  crdVersions?: Record<string, string[]>;
  /** Why the fake cluster cannot be read; undefined: it can. */
  clusterUnreachable?: string;
  /** The operator's status; undefined: Healthy with the minted token. */
  operatorStatus?: string;
  /** An external-dns already running in the stack's namespace, and what the cluster declares. */
  runningExternalDns?: OfflineWorld["runningExternalDns"];
  declaredHostnames?: OfflineWorld["declaredHostnames"];
  /** Watched objects with external-dns annotations; default none. */
  annotatedObjects?: OfflineWorld["annotatedObjects"];
  /** The project's stack files the program checks the stack against; default none. */
  stackFiles?: StackFile[];
  /** Why the stack files cannot be read; undefined: they can. */
  stackFilesError?: string;
}

export function testWorld(options: MockOptions = {}): OfflineWorld {
  return {
    zoneId: (name) => LOOKED_UP_ZONE_IDS[name],
    permissionGroups: (name) => PERMISSION_GROUPS.filter((group) => group.name.includes(name)),
    mintedToken: { value: MINTED_TOKEN, id: TOKEN_ID },
    runCommand: options.runCommand ?? fakeEncrypt,
    stackOutputs: () => ({ kubeconfig: FAKE_KUBECONFIG }),
    servedCrdVersions: (name) =>
      options.missingCrds?.includes(name)
        ? undefined
        : (options.crdVersions?.[name] ?? ["v1", "v1alpha2"]),
    clusterUnreachable: options.clusterUnreachable,
    operatorStatus: options.operatorStatus,
    runningExternalDns: options.runningExternalDns,
    declaredHostnames: options.declaredHostnames,
    annotatedObjects: options.annotatedObjects,
    stackFiles: () => {
      if (options.stackFilesError) throw new Error(options.stackFilesError);
      return options.stackFiles ?? [];
    },
  };
}

/** Installs the mocks for a stack, for tests that construct components directly. */
export async function installMocks(stack: string, options: MockOptions = {}): Promise<MockRecord> {
  const record = newRecord();
  await installOfflineMocks(stack, testWorld(options), record);
  return record;
}

/**
 * A stand-in for sops: the manifest from stdin with every value under
 * `secretTemplates` replaced, and a `sops` block. Never contains the token.
 */
export function fakeEncrypt(inputs: Record<string, unknown>): string {
  const manifest = parse(String(inputs.stdin));
  const hide = (value: unknown): unknown =>
    typeof value === "string"
      ? `ENC[AES256_GCM,data:${Buffer.from(value).length}bytes,type:str]`
      : Array.isArray(value)
        ? value.map(hide)
        : typeof value === "object" && value !== null
          ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, hide(inner)]))
          : value;
  manifest.spec.secretTemplates = hide(manifest.spec.secretTemplates);
  manifest.sops = { age: [{ recipient: "age1fake", enc: "fake" }], encrypted_suffix: "Templates" };
  return stringify(manifest);
}
