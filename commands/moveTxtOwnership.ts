/**
 * Moves ownership records to the stack's TXT prefix: the command the
 * TxtOwnershipMove step runs during `pulumi up` (components/txtOwnershipMoveStep.ts).
 * Reads its input as JSON on stdin (it holds the token), prints what it moved,
 * and exits 1 on the first problem, before writing anything when it can tell.
 */
import {
  batchDnsRecords,
  type CloudflareAccess,
  listDnsRecords,
} from "../components/cloudflareRecords";
import {
  describeZoneMove,
  type HostMove,
  planOwnershipMove,
  type ZoneListing,
} from "../components/txtOwnershipMove";
import type { MoveCommandInput } from "../components/txtOwnershipMoveStep";

/** Changes per batch: Cloudflare's batch limit on the Free plan. */
export const BATCH_LIMIT = 200;

async function main(): Promise<void> {
  const input = JSON.parse(await readStdin()) as MoveCommandInput;
  const access: CloudflareAccess = { token: input.token, baseUrl: input.baseUrl };
  const listings: ZoneListing[] = [];
  for (const zone of input.zones)
    listings.push({
      zoneId: zone.id,
      zoneName: zone.name,
      records: await listDnsRecords(access, zone.id),
    });
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
            `${moved} were moved before (each batch applies all or nothing); run pulumi up again to move the rest.`,
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
  const result: HostMove[][] = [];
  let current: HostMove[] = [];
  let size = 0;
  for (const host of hosts) {
    const changes = host.copies.length + host.deletes.length;
    if (size + changes > BATCH_LIMIT && current.length > 0) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(host);
    size += changes;
  }
  if (current.length > 0) result.push(current);
  return result;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

if (require.main === module) {
  main().catch((error: Error) => fail(`Moving the ownership records failed: ${error.message}`));
}
