/**
 * Finds a secret value where it must not be: as is, or base64-encoded (how a
 * Secret's `data` and many serializers hold it), at any byte alignment.
 */

/** The value, and the part of its base64 encoding that does not depend on what surrounds it, per alignment. */
export function secretForms(value: string): string[] {
  const bytes = Buffer.from(value);
  const forms = [value];
  for (const pad of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString("base64");
    // The first group mixes in the padding bytes, the last one whatever follows.
    forms.push(encoded.slice(pad === 0 ? 0 : 4, -4));
  }
  return forms;
}

export function containsSecret(text: string, value: string): boolean {
  return secretForms(value).some((form) => text.includes(form));
}

/** JSON paths under `root` whose key or string value holds the secret in any form. */
export function secretPaths(root: unknown, value: string, path = "$"): string[] {
  if (typeof root === "string") return containsSecret(root, value) ? [path] : [];
  if (Array.isArray(root))
    return root.flatMap((item, i) => secretPaths(item, value, `${path}[${i}]`));
  if (typeof root === "object" && root !== null) {
    return Object.entries(root).flatMap(([key, item]) => [
      ...(containsSecret(key, value) ? [`${path} (a key)`] : []),
      ...secretPaths(item, value, `${path}.${key}`),
    ]);
  }
  return [];
}
