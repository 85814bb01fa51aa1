/**
 * Finds where a secret value shows up in plaintext: in a resource's inputs as
 * the program passes them (before Pulumi serializes them), or in an output.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Paths under `value` where `secret` appears without being wrapped in a Pulumi
 * secret. Outputs are resolved; secret Outputs and the engine's secret markers
 * are not searched further.
 */
export async function plaintextOccurrences(
  value: unknown,
  secret: string,
  path = "$",
): Promise<string[]> {
  if (pulumi.Output.isInstance(value)) {
    if (await pulumi.isSecret(value)) return [];
    const inner = await new Promise<unknown>((resolve) => value.apply(resolve));
    return plaintextOccurrences(inner, secret, path);
  }
  if (pulumi.runtime.isRpcSecret(value)) return [];
  if (typeof value === "string") return value.includes(secret) ? [path] : [];
  if (Array.isArray(value)) {
    const nested = await Promise.all(
      value.map((item, index) => plaintextOccurrences(item, secret, `${path}[${index}]`)),
    );
    return nested.flat();
  }
  if (typeof value === "object" && value !== null && !pulumi.Resource.isInstance(value)) {
    const nested = await Promise.all(
      Object.entries(value).map(([key, inner]) =>
        plaintextOccurrences(inner, secret, `${path}.${key}`),
      ),
    );
    return nested.flat();
  }
  return [];
}
