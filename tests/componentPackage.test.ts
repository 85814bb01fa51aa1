/**
 * The component package (component-package/): the schema Pulumi infers from
 * ExternalDns's Args, as `pulumi package get-schema` and `pulumi package add`
 * generate it (the SDK's ComponentProvider, which the plugin host runs). Every
 * argument carries its description, and each description states the default
 * the option's declaration (stacks/options.ts) applies.
 */
import { join } from "node:path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { beforeAll, describe, expect, it } from "vitest";
import { ExternalDns } from "../components/externalDns";
import { ARGUMENT_PATHS, STACK_ONLY_OPTIONS } from "../components/externalDnsArgs";
import { OPTION_KEYS, type OptionKey, options } from "../stacks/options";

const PACKAGE_DIR = join(__dirname, "..", "component-package");
const TOKEN = "external-dns:index:ExternalDns";

interface SchemaProperty {
  description?: string;
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
}
interface SchemaObject {
  properties?: Record<string, SchemaProperty>;
  inputProperties?: Record<string, SchemaProperty>;
  required?: string[];
  requiredInputs?: string[];
  isComponent?: boolean;
}
interface PackageSchema {
  name: string;
  namespace?: string;
  resources: Record<string, SchemaObject>;
  types: Record<string, SchemaObject>;
}

let schema: PackageSchema;
beforeAll(async () => {
  const provider = new ComponentProvider({
    dirname: PACKAGE_DIR,
    name: "external-dns",
    namespace: "vanixiets",
    components: [ExternalDns],
  });
  schema = JSON.parse(await provider.getSchema());
}, 60_000);

/** The type a property refers to, directly or through its items. */
function referencedType(property: SchemaProperty): SchemaObject | undefined {
  const ref = property.$ref ?? property.items?.$ref;
  return ref ? schema.types[ref.replace("#/types/", "")] : undefined;
}

/** The schema property of an argument path such as `token.rotationDays`. */
function argumentProperty(path: string): SchemaProperty | undefined {
  const [first, ...rest] = path.split(".");
  let property = schema.resources[TOKEN].inputProperties?.[first];
  for (const field of rest) property = property && referencedType(property)?.properties?.[field];
  return property;
}

/** Every argument, nested ones included, as `path: description`. */
function describedArguments(
  properties: Record<string, SchemaProperty>,
  prefix = "",
): [string, string | undefined][] {
  return Object.entries(properties).flatMap(([name, property]) => {
    const nested = referencedType(property)?.properties;
    return [
      [`${prefix}${name}`, property.description] as [string, string | undefined],
      ...(nested ? describedArguments(nested, `${prefix}${name}.`) : []),
    ];
  });
}

/** A default as the doc comments write it: `1m`, `5000`, `[]`, `["service", "ingress"]`. */
function writtenDefault(value: unknown): string {
  if (Array.isArray(value)) return `\`[${value.map((item) => JSON.stringify(item)).join(", ")}]\``;
  return `\`${String(value)}\``;
}

describe("the component package's schema", () => {
  it("is ExternalDns, a component of package external-dns (namespace vanixiets)", () => {
    expect(schema.name).toBe("external-dns");
    expect(schema.namespace).toBe("vanixiets");
    expect(Object.keys(schema.resources)).toEqual([TOKEN]);
    expect(schema.resources[TOKEN].isComponent).toBe(true);
  });

  it("requires only the zones, the owner ID and the age recipients", () => {
    expect(schema.resources[TOKEN].requiredInputs?.sort()).toEqual(["registry", "sops", "zones"]);
    expect(referencedType(argumentProperty("registry") ?? {})?.required).toEqual(["txtOwnerId"]);
    expect(referencedType(argumentProperty("sops") ?? {})?.required).toEqual(["ageRecipients"]);
    expect(referencedType(argumentProperty("zones") ?? {})?.required).toEqual(["name"]);
  });

  it("describes every argument, nested ones included, and every output", () => {
    const resource = schema.resources[TOKEN];
    const described = describedArguments(resource.inputProperties ?? {});
    expect(described.length).toBeGreaterThan(30);
    expect(described.filter(([, description]) => !description?.trim())).toEqual([]);
    const outputs = Object.entries(resource.properties ?? {});
    expect(outputs.filter(([, property]) => !property.description?.trim())).toEqual([]);
  });

  it("has an argument for every option but the stack's own", () => {
    const covered = [...Object.keys(ARGUMENT_PATHS), ...STACK_ONLY_OPTIONS].sort();
    expect(covered).toEqual([...OPTION_KEYS].sort());
    for (const [option, path] of Object.entries(ARGUMENT_PATHS))
      expect(argumentProperty(path), `${option} as ${path}`).toBeDefined();
  });

  it("states in each argument's description the default its option declares", () => {
    const mismatches: string[] = [];
    for (const [option, path] of Object.entries(ARGUMENT_PATHS)) {
      const description = argumentProperty(path)?.description ?? "";
      const parsed = options[option as OptionKey].schema.safeParse(undefined);
      const declared = parsed.success ? parsed.data : undefined;
      if (declared === undefined) continue;
      if (typeof declared === "object" && !Array.isArray(declared)) {
        // An object default ({} for resources): its fields state theirs.
        const fields = Object.values(
          referencedType(argumentProperty(path) ?? {})?.properties ?? {},
        );
        if (!fields.every((field) => field.description?.includes("Default:")))
          mismatches.push(`${path}: a field without its default`);
        continue;
      }
      if (!description.includes(`Default: ${writtenDefault(declared)}`))
        mismatches.push(
          `${path}: says ${JSON.stringify(description)}; declared ${writtenDefault(declared)}`,
        );
    }
    expect(mismatches).toEqual([]);
  });
});
