/**
 * Moves ownership records to the stack's TXT prefix: the command the
 * TxtOwnershipMove step runs during `pulumi up` (components/txtOwnershipMove.ts).
 * Reads its input as JSON on stdin (it holds the token), prints what it moved,
 * and exits 1 on the first problem, before writing anything when it can tell.
 */
import { batchDnsRecords, type CloudflareAccess, listZones } from "../components/cloudflareRecords";
import {
  describeZoneMove,
  type HostMove,
  planOwnershipMove,
} from "../components/ownershipMovePlan";
import type { MoveCommandInput } from "../components/txtOwnershipMove";
import { batchesOf, fail, readInput, remedy } from "./stepSupport";

/** What holds while the move is not done, and what to do: part of every failure message. */
export const UNTIL_MOVED =
  "Until the move is done, external-dns leaves the records owned through the old names as they are " +
  "(DNS keeps answering; they are neither updated nor deleted): fix the cause and run pulumi up again, which moves what is left.";

async function main(): Promise<void> {
  const input = await readInput<MoveCommandInput>("TxtOwnershipMove");
  const access: CloudflareAccess = { token: input.token, baseUrl: input.baseUrl };
  const listings = await listZones(access, input.zones);
  const plan = planOwnershipMove(listings, input);
  const heading = `ownership records of owner ${input.ownerId}, from prefix ${JSON.stringify(input.fromPrefix)} to ${JSON.stringify(input.toPrefix)}`;
  if (plan.conflicts.length > 0) {
    fail(
      [
        `Not moving the ${heading}: nothing was changed.`,
        ...plan.conflicts.map((conflict) => `  ${conflict}`),
      ].join("\n"),
    );
  }
  let moved = 0;
  let deleted = 0;
  for (const zone of plan.zones) {
    for (const hosts of batches(zone.hosts)) {
      try {
        await batchDnsRecords(access, zone.zoneId, {
          posts: hosts.flatMap((host) => host.copies.map((copy) => copy.record)),
          deletes: hosts.flatMap((host) => host.deletes.map((deleted) => deleted.id)),
        });
      } catch (error) {
        fail(
          `Moving the ${heading} stopped in zone ${zone.zoneName}: ${(error as Error).message}. ` +
            `${moved} were moved before (each batch applies all or nothing).\n${hint(error as Error)}`,
        );
      }
      moved += hosts.reduce((sum, host) => sum + host.copies.length, 0);
      deleted += hosts.reduce((sum, host) => sum + host.deletes.length, 0);
    }
    for (const line of describeZoneMove(zone)) console.log(line);
  }
  console.log(
    `Moved the ${heading}: ${moved} written under the new name, ${deleted} old name(s) deleted.`,
  );
}

/** Hosts grouped into batches of at most BATCH_LIMIT changes; a host's changes stay together. */
export function batches(hosts: readonly HostMove[]): HostMove[][] {
  return batchesOf(hosts, (host) => host.copies.length + host.deletes.length);
}

/** The remedy for a failure, naming the address restriction when Cloudflare refused the location. */
export function hint(error: Error): string {
  return remedy(error, "move", UNTIL_MOVED);
}

if (require.main === module) {
  main().catch((error: Error) =>
    fail(`Moving the ownership records failed: ${error.message}\n${hint(error)}`),
  );
}
