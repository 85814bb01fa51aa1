import * as pulumi from "@pulumi/pulumi";

/**
 * The value of an Input once it is known; undefined when it is not (at
 * preview, an output of a resource this deployment creates).
 */
export async function knownValue<T>(input: pulumi.Input<T>): Promise<T | undefined> {
  const output = pulumi.output(input);
  // `isKnown` is part of every Output the SDK makes, though its type hides it.
  const known = await (output as unknown as { isKnown: Promise<boolean> }).isKnown;
  if (!known) return undefined;
  return new Promise<T>((resolve) =>
    output.apply((value) => {
      resolve(value as T);
      return value;
    }),
  );
}
