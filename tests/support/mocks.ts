/**
 * Pulumi mocks for the program's resource graph: fake Cloudflare answers, a
 * pluggable stand-in for the sops command, and a record of every resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";

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

export interface RegisteredResource {
  type: string;
  name: string;
  /** Inputs with secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** Inputs as the engine receives them: secrets still marked as secrets. */
  wireInputs: Record<string, unknown>;
  id?: string;
}

export interface MockOptions {
  /** Produces the Command's stdout from its inputs; defaults to `fakeEncrypt`. */
  runCommand?: (inputs: Record<string, unknown>) => string;
  /** CRDs that the fake cluster does not have. */
  missingCrds?: string[];
}

export interface MockRecord {
  resources: RegisteredResource[];
  invokes: { token: string; args: Record<string, unknown> }[];
  ofType(type: string): RegisteredResource[];
}

/** Installs the mocks for a stack; call before importing the program. */
export async function installMocks(stack: string, options: MockOptions = {}): Promise<MockRecord> {
  const record: MockRecord = {
    resources: [],
    invokes: [],
    ofType: (type) => record.resources.filter((resource) => resource.type === type),
  };
  await pulumi.runtime.setMocks(
    {
      newResource(wireArgs) {
        const args = {
          ...wireArgs,
          inputs: unwrapSecrets(wireArgs.inputs) as Record<string, unknown>,
        };
        record.resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          wireInputs: wireArgs.inputs,
          id: args.id,
        });
        switch (args.type) {
          case "cloudflare:index/apiToken:ApiToken":
            return {
              id: TOKEN_ID,
              state: { ...args.inputs, value: MINTED_TOKEN, status: "active" },
            };
          case "command:local:Command":
            return {
              id: `${args.name}-id`,
              state: {
                ...args.inputs,
                stdout: (options.runCommand ?? fakeEncrypt)(args.inputs),
                stderr: "",
              },
            };
          case "pulumi:pulumi:StackReference":
            return {
              id: String(args.inputs.name),
              state: { ...args.inputs, outputs: { kubeconfig: FAKE_KUBECONFIG } },
            };
          case "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition":
            if (args.id && options.missingCrds?.includes(args.id)) {
              throw new Error(`resource '${args.id}' does not exist`);
            }
            return { id: args.id ?? args.name, state: { metadata: { name: args.id } } };
          default:
            return { id: `${args.name}-id`, state: args.inputs };
        }
      },
      call(args) {
        record.invokes.push({ token: args.token, args: args.inputs });
        switch (args.token) {
          case "cloudflare:index/getZone:getZone": {
            const name = (args.inputs.filter as { name: string }).name;
            return { id: LOOKED_UP_ZONE_IDS[name], name };
          }
          case "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList": {
            const wanted = decodeURIComponent(String(args.inputs.name));
            return { results: PERMISSION_GROUPS.filter((group) => group.name.includes(wanted)) };
          }
          default:
            return args.inputs;
        }
      },
    },
    "external-dns",
    stack,
    false,
  );
  return record;
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

/** Resolves an Output in tests. */
export function resolved<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Sets the stack's config the way the Pulumi CLI would. */
export function setStackConfig(config: Record<string, string>): void {
  pulumi.runtime.setAllConfig(config);
}
