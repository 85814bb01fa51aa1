/**
 * Renames this cluster's owner ID in its ownership records: the command the
 * TxtOwnerRename step runs during `pulumi up`, after the chart's rollout
 * (components/txtOwnerRename.ts). Reads its input as JSON on stdin (it
 * holds the token), reads the hostnames the cluster's sources declare, then
 * rewrites the owner of their ownership records zone by zone, in Cloudflare
 * batches that apply all or nothing; prints what it did, and exits 1 on the
 * first problem.
 */

import { batchDnsRecords, type CloudflareAccess, listZones } from "../components/cloudflareRecords";
import { describeError, loadKubeConfig } from "../components/clusterAccess";
import { readDeclaredHostnames } from "../components/declaredHostnames";
import { managesHostname } from "../components/hostnameFilter";
import { describeZoneRename, planOwnerRename } from "../components/ownerRenamePlan";
import type { RenameCommandInput } from "../components/txtOwnerRename";
import { batchesOf, fail, readInput, remedy } from "./stepSupport";

/** What holds while the rename is not done, and what to do: part of every failure message. */
export const UNTIL_RENAMED =
  "Until the rename is done, external-dns (already running with the new owner ID) leaves this cluster's records as they are " +
  "(DNS keeps answering; they are neither updated nor deleted): fix the cause and run pulumi up again, which renames what is left.";

/** How many kept records the report names; the rest are counted. */
const NAMED_KEPT = 20;

async function main(): Promise<void> {
  const input = await readInput<RenameCommandInput>("TxtOwnerRename");
  const heading = `ownership records from owner ${input.fromOwnerId} to ${input.toOwnerId}`;
  const claimed = await claimedHostnames(input).catch((error: Error) =>
    fail(
      `Renaming the ${heading} stopped before any change: the hostnames the cluster declares could not be read (${error.message}). ${UNTIL_RENAMED}`,
    ),
  );
  const access: CloudflareAccess = { token: input.token, baseUrl: input.baseUrl };
  const listings = await listZones(access, input.zones);
  const plan = planOwnerRename(listings, input, (host) => claimed.has(host));
  let renamed = 0;
  for (const zone of plan.zones) {
    for (const rewrites of batchesOf(zone.rewrites, () => 1)) {
      try {
        await batchDnsRecords(access, zone.zoneId, {
          patches: rewrites.map(({ id, content }) => ({ id, content })),
        });
      } catch (error) {
        fail(
          `Renaming the ${heading} stopped in zone ${zone.zoneName}: ${(error as Error).message}. ` +
            `${renamed} were renamed before (each batch applies all or nothing).\n${hint(error as Error)}`,
        );
      }
      renamed += rewrites.length;
    }
    for (const line of describeZoneRename(zone, input)) console.log(line);
  }
  console.log(
    `Renamed the ${heading}: ${renamed} record(s) of the ${claimed.size} hostname(s) this cluster declares and its filters admit.`,
  );
  if (plan.kept.length > 0) {
    console.log(
      `Kept ${plan.kept.length} ownership record(s) of owner ${input.fromOwnerId} whose hostnames this cluster does not declare (another cluster's, or left by a deleted source; npm run fleet -- --live shows them):`,
    );
    for (const kept of plan.kept.slice(0, NAMED_KEPT))
      console.log(`  ${kept.zoneName}: ${kept.name} (${kept.host})`);
    if (plan.kept.length > NAMED_KEPT) console.log(`  … and ${plan.kept.length - NAMED_KEPT} more`);
  }
}

/** The hostnames the cluster's sources declare that the stack's filters admit. */
async function claimedHostnames(input: RenameCommandInput): Promise<Set<string>> {
  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig(input.cluster);
  } catch (error) {
    // A kubeconfig given as contents is not quoted: it may hold credentials.
    throw new Error(
      input.cluster.kubeconfig?.includes("\n")
        ? "the kubeconfig could not be loaded"
        : `the kubeconfig could not be loaded: ${(error as Error).message}`,
    );
  }
  const server = kubeConfig.getCurrentCluster()?.server ?? "the kubeconfig's server";
  const declared = await readDeclaredHostnames(
    kubeConfig,
    input.sources,
    input.annotationPrefixes,
  ).catch((error) => {
    throw new Error(`${server}: ${describeError(error)}`);
  });
  return new Set(
    declared
      .map((entry) => entry.hostname)
      .filter((hostname) => managesHostname(input.filter, hostname)),
  );
}

/** The remedy for a failure, naming the address restriction when Cloudflare refused the location. */
export function hint(error: Error): string {
  return remedy(error, "rename", UNTIL_RENAMED);
}

if (require.main === module) {
  main().catch((error: Error) =>
    fail(`Renaming the ownership records failed: ${error.message}\n${hint(error)}`),
  );
}
