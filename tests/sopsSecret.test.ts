/**
 * The SopsSecret manifest and the sops invocation, as pure functions.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  OUTPUT_FILE_VARIABLE,
  parseEncryptedSopsSecret,
  SOPS_INSTALL_HINT,
  sopsEncryptInvocation,
  sopsSecretManifest,
  sopsSecretYaml,
} from "../components/sopsSecret";
import { sopsSecretSchemaErrors } from "./support/crdSchema";

const TOKEN = "made-up-token-Qm4xT9";
const RECIPIENTS = [
  "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc",
  "age1sppnsegw58drw5uswwnzjeraghzdmmc7evs03v0nssw9hlh44dlqhjdf5g",
];

describe("SopsSecret manifest", () => {
  it("carries the token in one template, cloudflare-api-token / CF_API_TOKEN", () => {
    expect(sopsSecretManifest("dns", TOKEN)).toEqual({
      apiVersion: "isindir.github.com/v1alpha3",
      kind: "SopsSecret",
      metadata: { name: "external-dns-cloudflare", namespace: "dns" },
      spec: {
        secretTemplates: [{ name: "cloudflare-api-token", stringData: { CF_API_TOKEN: TOKEN } }],
      },
    });
  });

  it("validates against the operator's v1alpha3 CRD schema", () => {
    expect(sopsSecretSchemaErrors(sopsSecretManifest("dns", TOKEN))).toEqual([]);
  });

  it("the schema check catches fields the API server would prune", () => {
    const manifest = {
      ...sopsSecretManifest("dns", TOKEN),
      spec: { secretTemplates: [], extra: 1 },
    };
    expect(sopsSecretSchemaErrors(manifest).join("\n")).toMatch(/additionalProperty.*extra/);
    expect(sopsSecretSchemaErrors(manifest).join("\n")).toMatch(/fewer than 1 items/);
  });

  it("is written as YAML that parses back to the manifest", () => {
    expect(parse(sopsSecretYaml("dns", TOKEN))).toEqual(sopsSecretManifest("dns", TOKEN));
  });
});

describe("sops invocation", () => {
  const invocation = sopsEncryptInvocation({ recipients: RECIPIENTS });

  it("encrypts everything under secretTemplates for exactly the recipients", () => {
    expect(invocation.command).toContain("--encrypted-suffix Templates");
    expect(invocation.command).toContain(`--age '${RECIPIENTS.join(",")}'`);
    expect(invocation.command).toContain("--input-type yaml --output-type yaml");
  });

  it("ignores any .sops.yaml around the project", () => {
    expect(invocation.command).toContain("sops --config /dev/null encrypt");
  });

  it("says how to install sops when it is missing", () => {
    expect(invocation.command).toContain(SOPS_INSTALL_HINT);
    expect(SOPS_INSTALL_HINT).toMatch(
      /^go install github\.com\/getsops\/sops\/v3\/cmd\/sops@v3\.\d+\.\d+$/,
    );
  });

  it("takes no token: the plaintext can only arrive on stdin", () => {
    expect(sopsEncryptInvocation.length).toBe(1);
    expect(JSON.stringify(invocation)).not.toContain(TOKEN);
  });

  it("passes the GitOps path through the environment, not the command line", () => {
    const path = "k8s/secrets/production/it's here.enc.yaml";
    const withFile = sopsEncryptInvocation({ recipients: RECIPIENTS, outputFile: path });
    expect(withFile.environment).toEqual({ [OUTPUT_FILE_VARIABLE]: path });
    expect(withFile.command).toBe(invocation.command);
    expect(invocation.environment).toEqual({});
  });

  it("is the same for the same inputs, so an unchanged stack never re-encrypts", () => {
    expect(sopsEncryptInvocation({ recipients: [...RECIPIENTS] })).toEqual(invocation);
    expect(sopsEncryptInvocation({ recipients: [RECIPIENTS[0]] })).not.toEqual(invocation);
  });
});

describe("encrypted SopsSecret", () => {
  const encrypted = {
    ...sopsSecretManifest("dns", "ENC[AES256_GCM,data:x,type:str]"),
    sops: { age: [{ recipient: RECIPIENTS[0], enc: "..." }], encrypted_suffix: "Templates" },
  };

  it("rejects sops output that is not an encrypted SopsSecret, without echoing it", () => {
    const plaintext = sopsSecretYaml("dns", TOKEN);
    expect(() => parseEncryptedSopsSecret(plaintext)).toThrow(
      /did not return an encrypted SopsSecret/,
    );
    expect(() => parseEncryptedSopsSecret(plaintext)).not.toThrow(TOKEN);
    expect(() => parseEncryptedSopsSecret("")).toThrow(/did not return/);
  });

  it("parses sops output", () => {
    expect(parseEncryptedSopsSecret(JSON.stringify(encrypted))).toEqual(encrypted);
  });
});
