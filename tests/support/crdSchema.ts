/**
 * Validation against the sops-secrets-operator's SopsSecret CRD (v1alpha3), as
 * the Kubernetes API server applies it: fields the schema does not declare are
 * reported, since the API server would silently prune them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";

type Schema = Record<string, unknown>;

const CRD_FILE = join(__dirname, "..", "fixtures", "sops-secrets-operator-sopssecrets.crd.yaml");

function v1alpha3Schema(): Schema {
  const crd = parse(readFileSync(CRD_FILE, "utf8")) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const version = crd.spec.versions.find((candidate) => candidate.name === "v1alpha3");
  if (!version) throw new Error("the CRD fixture has no v1alpha3 version");
  return version.schema.openAPIV3Schema;
}

/** Structural schemas prune undeclared fields: make that an error instead. */
function forbidUndeclaredFields(schema: Schema): Schema {
  const result: Schema = { ...schema };
  if (
    schema.properties &&
    schema.additionalProperties === undefined &&
    !schema["x-kubernetes-preserve-unknown-fields"]
  ) {
    result.additionalProperties = false;
  }
  if (schema.properties) {
    result.properties = Object.fromEntries(
      Object.entries(schema.properties as Record<string, Schema>).map(([key, inner]) => [
        key,
        forbidUndeclaredFields(inner),
      ]),
    );
  }
  if (schema.items) result.items = forbidUndeclaredFields(schema.items as Schema);
  return result;
}

const validate = new Ajv({ strict: false, allErrors: true }).compile(
  forbidUndeclaredFields(v1alpha3Schema()),
);

/** Schema errors of a SopsSecret document, as readable strings; empty when valid. */
export function sopsSecretSchemaErrors(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (error) => `${error.instancePath || "/"} ${error.message} ${JSON.stringify(error.params)}`,
  );
}
