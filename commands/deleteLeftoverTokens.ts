/**
 * Deletes the tokens that carry the stack's token name but are not the one
 * its state holds: the command the LeftoverTokenCleanup step runs in
 * `pulumi up`. It reads its input on stdin (components/leftoverTokenCleanup.ts).
 */
import { callCloudflare, listTokens, tokensPath } from "../components/cloudflareRecords";
import type { CleanupCommandInput } from "../components/leftoverTokenCleanup";
import { fail, readInput } from "./stepSupport";

/** The line that records which token a run kept; the next run reads it in PULUMI_COMMAND_STDOUT. */
const KEPT = /^Kept token (\S+)\.$/m;

/** The token the previous run kept: still in the state when this up replaces it under the same name. */
function previouslyKept(): string | undefined {
  return KEPT.exec(process.env.PULUMI_COMMAND_STDOUT ?? "")?.[1];
}

async function main(): Promise<void> {
  const input = await readInput<CleanupCommandInput>("LeftoverTokenCleanup");
  const token = input.bootstrapToken ?? process.env.CLOUDFLARE_API_TOKEN;
  if (!token)
    fail(
      `Could not look for leftover tokens named "${input.name}": no bootstrap token (cloudflare:apiToken or CLOUDFLARE_API_TOKEN). npm run verify -- <stack> --bootstrap-token-file PATH lists them.`,
    );
  const access = { token, baseUrl: input.baseUrl };
  const base = tokensPath(input.accountId);
  const keep = new Set([input.keepId, previouslyKept()]);
  const leftovers = (await listTokens(access, input.accountId)).filter(
    (listed) => listed.name === input.name && !keep.has(listed.id),
  );
  for (const leftover of leftovers)
    await callCloudflare(access, "DELETE", `${base}/${leftover.id}`);
  console.log(`Kept token ${input.keepId}.`);
  console.log(
    leftovers.length === 0
      ? `No other token is named "${input.name}".`
      : `Deleted ${leftovers.length} token(s) named "${input.name}" that no stack holds: ${leftovers.map((leftover) => `${leftover.id}${leftover.issued_on ? ` (issued ${leftover.issued_on})` : ""}`).join(", ")}.`,
  );
}

main().catch((error: unknown) =>
  fail(
    `Deleting leftover tokens failed: ${(error as Error).message}. Run pulumi up again; npm run verify -- <stack> --bootstrap-token-file PATH lists them.`,
  ),
);
