/** 404s of the Kubernetes API (through @kubernetes/client-node) as "not there". */

/** Resolves to undefined when the Kubernetes API answers 404. */
export async function orNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}
