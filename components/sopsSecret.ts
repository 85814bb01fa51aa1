/**
 * The SopsSecret that carries the Cloudflare token into the cluster, and the
 * sops invocation that encrypts it. sops-secrets-operator decrypts it into the
 * Secret `cloudflare-api-token` that external-dns reads.
 */
import { parse, stringify } from "yaml";

export const SOPS_SECRET_API_VERSION = "isindir.github.com/v1alpha3";
export const SOPS_SECRET_KIND = "SopsSecret";
export const SOPS_SECRET_NAME = "external-dns-cloudflare";
export const TOKEN_SECRET_NAME = "cloudflare-api-token";
export const TOKEN_SECRET_KEY = "CF_API_TOKEN";

/** sops encrypts every value under keys ending in this suffix: here, all of `secretTemplates`. */
export const SOPS_ENCRYPTED_SUFFIX = "Templates";

/** The sops release this project is tested with. */
export const SOPS_VERSION = "v3.13.3";
export const SOPS_INSTALL_HINT = `go install github.com/getsops/sops/v3/cmd/sops@${SOPS_VERSION}`;

/**
 * Deletes the SopsSecret with background propagation. With the Kubernetes
 * provider's default (foreground), sops-secrets-operator 0.21 keeps recreating
 * the child Secret that the garbage collector is deleting, and the SopsSecret
 * can stay in "deleting" for minutes, hanging `pulumi destroy`.
 */
export const BACKGROUND_DELETION_ANNOTATION = {
  "pulumi.com/deletionPropagationPolicy": "background",
};

/** Environment variable naming the optional GitOps copy of the encrypted manifest. */
export const OUTPUT_FILE_VARIABLE = "EXTERNAL_DNS_SOPS_OUTPUT_FILE";

export interface SopsSecretTemplate {
  name: string;
  stringData: Record<string, string>;
}

export interface SopsSecretManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { secretTemplates: SopsSecretTemplate[] };
}

/** The plaintext SopsSecret, before encryption. */
export function sopsSecretManifest(namespace: string, token: string): SopsSecretManifest {
  return {
    apiVersion: SOPS_SECRET_API_VERSION,
    kind: SOPS_SECRET_KIND,
    metadata: { name: SOPS_SECRET_NAME, namespace },
    spec: {
      secretTemplates: [{ name: TOKEN_SECRET_NAME, stringData: { [TOKEN_SECRET_KEY]: token } }],
    },
  };
}

/** The plaintext manifest as YAML: what the sops command reads on stdin. */
export function sopsSecretYaml(namespace: string, token: string): string {
  return stringify(sopsSecretManifest(namespace, token));
}

export interface SopsInvocation {
  /** Shell script for `/bin/sh -c`; the plaintext manifest arrives on stdin. */
  command: string;
  /** Environment of the command: names only what is not secret. */
  environment: Record<string, string>;
}

export interface SopsInvocationOptions {
  /** age public keys that can decrypt the result. */
  recipients: readonly string[];
  /** Also write the encrypted manifest to this file (GitOps copy). */
  outputFile?: string;
}

/**
 * The command that encrypts the manifest on stdin for the age recipients and
 * prints the encrypted manifest. `--config /dev/null` keeps a `.sops.yaml`
 * found in a parent directory from changing what gets encrypted, or for whom;
 * sops 3.13 wants a file name for stdin input, which then only names the input.
 * The recipients are bech32 (validated), so they are safe to quote as they are.
 */
export function sopsEncryptInvocation(options: SopsInvocationOptions): SopsInvocation {
  const recipients = options.recipients.join(",");
  const command = [
    "set -eu",
    "if ! command -v sops >/dev/null 2>&1; then",
    `  echo "sops is required to encrypt the SopsSecret but was not found on PATH; install it with: ${SOPS_INSTALL_HINT}" >&2`,
    "  exit 127",
    "fi",
    `encrypted=$(sops --config /dev/null encrypt --filename-override ${SOPS_SECRET_NAME}.yaml --input-type yaml --output-type yaml --encrypted-suffix ${SOPS_ENCRYPTED_SUFFIX} --age '${recipients}')`,
    `if [ -n "\${${OUTPUT_FILE_VARIABLE}:-}" ]; then`,
    `  mkdir -p "$(dirname "$${OUTPUT_FILE_VARIABLE}")"`,
    `  printf '%s\\n' "$encrypted" > "$${OUTPUT_FILE_VARIABLE}"`,
    "fi",
    `printf '%s\\n' "$encrypted"`,
  ].join("\n");
  const environment: Record<string, string> = options.outputFile
    ? { [OUTPUT_FILE_VARIABLE]: options.outputFile }
    : {};
  return { command, environment };
}

/** An encrypted SopsSecret as sops writes it: the manifest plus the `sops` metadata block. */
export interface EncryptedSopsSecret {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { secretTemplates: unknown[] };
  sops: Record<string, unknown> & { age?: { recipient: string; enc: string }[] };
}

/** Parses sops's output and checks that it is an encrypted SopsSecret. */
export function parseEncryptedSopsSecret(encryptedYaml: string): EncryptedSopsSecret {
  const document = parse(encryptedYaml) as Partial<EncryptedSopsSecret> | null;
  if (
    document?.apiVersion !== SOPS_SECRET_API_VERSION ||
    document.kind !== SOPS_SECRET_KIND ||
    typeof document.sops !== "object" ||
    !Array.isArray(document.spec?.secretTemplates)
  ) {
    throw new Error(
      `sops did not return an encrypted ${SOPS_SECRET_KIND} (${SOPS_SECRET_API_VERSION}) with a sops block`,
    );
  }
  return document as EncryptedSopsSecret;
}
