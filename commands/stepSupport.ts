/**
 * What the commands that `pulumi up` runs as steps share: input on stdin (it
 * holds the token, so it is never quoted), failures on stderr with exit code
 * 1, Cloudflare's batch limit, and the remedy when Cloudflare refuses the
 * machine running the up.
 */

import { REFUSED_FROM_LOCATION } from "../components/cloudflareRecords";

/** Changes per batch: Cloudflare's batch limit on the Free plan. */
export const BATCH_LIMIT = 200;

/** Groups into batches of at most BATCH_LIMIT changes; a group's changes stay together. */
export function batchesOf<T>(groups: readonly T[], changes: (group: T) => number): T[][] {
  const result: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const group of groups) {
    const count = changes(group);
    if (size + count > BATCH_LIMIT && current.length > 0) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(group);
    size += count;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** The remedy for a failure: `untilDone`, naming the address restriction when Cloudflare refused the location. */
export function remedy(error: Error, step: string, untilDone: string): string {
  return REFUSED_FROM_LOCATION.test(error.message)
    ? `The minted token works only from external-dns:tokenAllowedCidrs, and this step runs where pulumi up runs: run that up from an address in the list (or add this machine's for the ${step}). ${untilDone}`
    : untilDone;
}

/** The step's JSON input; a parse error is not quoted, as it would quote the input (and the token). */
export async function readInput<T>(step: string): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as T;
  } catch {
    return fail(`The input on stdin is not the JSON the ${step} step writes.`);
  }
}

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
