/**
 * The real sops and age: the SopsSecret the program produces decrypts to
 * exactly the intended manifest, for each recipient, and the cluster gets what
 * sops wrote. These tests fail (never skip) when sops or age is missing.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type EncryptedSopsSecret,
  OUTPUT_FILE_VARIABLE,
  SOPS_INSTALL_HINT,
  sopsEncryptInvocation,
  sopsSecretManifest,
  sopsSecretYaml,
} from "../components/sopsSecret";
import { stackConfig } from "../stacks/stackFiles";
import { sopsSecretSchemaErrors } from "./support/crdSchema";
import { MINTED_TOKEN } from "./support/mocks";
import { type ProgramRun, runProgram } from "./support/program";
import {
  type AgeIdentity,
  hermeticEnvironment,
  newAgeIdentity,
  requireTools,
  runInvocation,
  type ShellResult,
  sopsDecrypt,
} from "./support/tools";

const NAMESPACE = "external-dns";
const TOKEN = `made-up-token-${Date.now().toString(36)}-Vb7Kq2`;

let identities: AgeIdentity[];
let gitopsFile: string;
let encryption: ShellResult;
let encrypted: EncryptedSopsSecret;

const toolsPresent = requireTools(["sops", "age-keygen"]);

beforeAll(() => {
  if (!toolsPresent) return;
  identities = [newAgeIdentity(), newAgeIdentity()];
  gitopsFile = join(
    mkdtempSync(join(tmpdir(), "gitops-")),
    "k8s",
    "secrets",
    "external-dns-cloudflare.enc.yaml",
  );
  const invocation = sopsEncryptInvocation({
    recipients: identities.map((identity) => identity.recipient),
    outputFile: gitopsFile,
  });
  encryption = runInvocation(invocation, sopsSecretYaml(NAMESPACE, TOKEN));
  encrypted = parse(encryption.stdout);
});

/** Every leaf value under `value`, with its path. */
function leaves(value: unknown, path = ""): [string, unknown][] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => leaves(item, `${path}[${index}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, inner]) => leaves(inner, `${path}.${key}`));
  }
  return [[path, value]];
}

describe("sops encryption with the component's own invocation", () => {
  it("succeeds, printing nothing on stderr", () => {
    expect(encryption.stderr).toBe("");
    expect(encryption.status).toBe(0);
  });

  it("decrypts to exactly the intended SopsSecret, the token at secretTemplates[0].stringData", () => {
    const decrypted = sopsDecrypt(encryption.stdout, identities[0]);
    expect(decrypted.status, decrypted.stderr).toBe(0);
    const document = parse(decrypted.stdout);
    expect(document).toEqual(sopsSecretManifest(NAMESPACE, TOKEN));
    expect(document.spec.secretTemplates[0].stringData.CF_API_TOKEN).toBe(TOKEN);
  });

  it("encrypts every value under secretTemplates, names too", () => {
    const values = leaves(encrypted.spec.secretTemplates);
    expect(values.map(([path]) => path)).toEqual(["[0].name", "[0].stringData.CF_API_TOKEN"]);
    for (const [path, value] of values)
      expect(value, path).toMatch(/^ENC\[AES256_GCM,data:.+,type:str\]$/);
    expect(encryption.stdout).not.toContain(TOKEN);
    expect(encryption.stdout).not.toContain("cloudflare-api-token");
  });

  it("leaves apiVersion, kind and metadata readable", () => {
    const { apiVersion, kind, metadata } = sopsSecretManifest(NAMESPACE, TOKEN);
    expect({
      apiVersion: encrypted.apiVersion,
      kind: encrypted.kind,
      metadata: encrypted.metadata,
    }).toEqual({
      apiVersion,
      kind,
      metadata,
    });
  });

  it("lists every configured recipient in the sops block, and records the suffix", () => {
    expect(encrypted.sops.age?.map((entry) => entry.recipient).sort()).toEqual(
      identities.map((identity) => identity.recipient).sort(),
    );
    expect(encrypted.sops.encrypted_suffix).toBe("Templates");
  });

  it("validates against the operator's v1alpha3 CRD schema, with no field the API server would prune", () => {
    expect(sopsSecretSchemaErrors(encrypted)).toEqual([]);
  });

  it("can be decrypted by each recipient alone", () => {
    for (const identity of identities) {
      const decrypted = sopsDecrypt(encryption.stdout, identity);
      expect(decrypted.status, decrypted.stderr).toBe(0);
      expect(parse(decrypted.stdout).spec.secretTemplates[0].stringData.CF_API_TOKEN).toBe(TOKEN);
    }
  });

  it("cannot be decrypted by anyone else", () => {
    const stranger = sopsDecrypt(encryption.stdout, newAgeIdentity());
    expect(stranger.status).not.toBe(0);
    expect(stranger.stdout).not.toContain(TOKEN);
  });

  it("writes the same encrypted document to the GitOps file", () => {
    expect(readFileSync(gitopsFile, "utf8")).toBe(encryption.stdout);
  });
});

describe("sops failures", () => {
  const stdin = sopsSecretYaml(NAMESPACE, TOKEN);

  it("without sops on PATH: says sops is required and how to install it", () => {
    const invocation = sopsEncryptInvocation({ recipients: [identities[0].recipient] });
    const emptyPath = mkdtempSync(join(tmpdir(), "no-sops-"));
    const result = runInvocation(invocation, stdin, hermeticEnvironment({ PATH: emptyPath }));
    expect(result.status).toBe(127);
    expect(result.stderr).toContain("sops is required");
    expect(result.stderr).toContain(SOPS_INSTALL_HINT);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it.each([
    [
      "a malformed recipient (bad checksum)",
      "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcd",
    ],
    ["a malformed recipient (not bech32)", "age1notavalidkey"],
    [
      "an unknown recipient type (a plugin that is not installed)",
      "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t",
    ],
  ])("with %s: surfaces sops's error naming the recipient", (_, recipient) => {
    const invocation = sopsEncryptInvocation({ recipients: [identities[0].recipient, recipient] });
    const result = runInvocation(invocation, stdin);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(recipient);
    expect(result.stdout).toBe("");
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it("does not write the GitOps file when encryption fails", () => {
    const file = join(mkdtempSync(join(tmpdir(), "gitops-")), "secret.enc.yaml");
    const invocation = sopsEncryptInvocation({
      recipients: ["age1notavalidkey"],
      outputFile: file,
    });
    expect(runInvocation(invocation, stdin).status).not.toBe(0);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
  });
});

describe("the program with the real sops", () => {
  let run: ProgramRun;
  let programIdentities: AgeIdentity[];
  let sopsOutput: string;

  beforeAll(async () => {
    if (!toolsPresent) return;
    programIdentities = [newAgeIdentity(), newAgeIdentity()];
    const config = {
      ...stackConfig("production"),
      "external-dns:sopsAgeRecipients": JSON.stringify(
        programIdentities.map((identity) => identity.recipient),
      ),
      "external-dns:sopsSecretFile": join(
        mkdtempSync(join(tmpdir(), "gitops-")),
        "external-dns.enc.yaml",
      ),
    };
    run = await runProgram("production", config, {
      // The mock runs exactly the command, environment and stdin the component registered.
      runCommand: (inputs) => {
        const result = runInvocation(
          {
            command: String(inputs.create),
            environment: inputs.environment as Record<string, string>,
          },
          String(inputs.stdin),
        );
        if (result.status !== 0) throw new Error(`sops failed: ${result.stderr}`);
        sopsOutput = result.stdout;
        return result.stdout;
      },
    });
  });

  it("the registered command encrypts the minted token for the configured recipients", () => {
    const [command] = run.record
      .ofType("command:local:Command")
      .filter((resource) => resource.name.endsWith("-sops-encrypt"));
    expect(command.inputs.environment).toEqual({
      [OUTPUT_FILE_VARIABLE]: expect.stringMatching(/external-dns\.enc\.yaml$/),
    });
    for (const identity of programIdentities) {
      const decrypted = sopsDecrypt(sopsOutput, identity);
      expect(decrypted.status, decrypted.stderr).toBe(0);
      expect(parse(decrypted.stdout)).toEqual(sopsSecretManifest(NAMESPACE, MINTED_TOKEN));
    }
  });

  it("applies what sops wrote: nothing lost or added but the pulumi.com/* annotation", () => {
    const [applied] = run.record.ofType("kubernetes:isindir.github.com/v1alpha3:SopsSecret");
    const { annotations, ...metadata } = applied.inputs.metadata as Record<string, unknown>;
    expect(annotations).toEqual({ "pulumi.com/deletionPropagationPolicy": "background" });
    expect(JSON.parse(JSON.stringify({ ...applied.inputs, metadata }))).toEqual(parse(sopsOutput));
  });

  it("what the cluster gets decrypts for each recipient (the operator ignores the MAC; the CLI needs the annotation off)", () => {
    const [applied] = run.record.ofType("kubernetes:isindir.github.com/v1alpha3:SopsSecret");
    const { annotations: _pulumiAnnotation, ...metadata } = applied.inputs.metadata as Record<
      string,
      unknown
    >;
    const document = JSON.stringify({ ...applied.inputs, metadata });
    for (const identity of programIdentities) {
      const decrypted = sopsDecrypt(document, identity);
      expect(decrypted.status, decrypted.stderr).toBe(0);
      expect(parse(decrypted.stdout).spec.secretTemplates[0].stringData.CF_API_TOKEN).toBe(
        MINTED_TOKEN,
      );
    }
  });
});
