/**
 * Deletes the tokens that carry the stack's token name but are not the one
 * its state holds: the command the LeftoverTokenCleanup step runs in
 * `pulumi up`. It reads its input on stdin (components/leftoverTokenCleanup.ts).
 */
import { callCloudflare } from "../components/cloudflareRecords";
import type { CleanupCommandInput } from "../components/leftoverTokenCleanup";
import { fail, readInput } from "./stepSupport";

/** Cloudflare's largest page of tokens (per_page 5–50). */
const PER_PAGE = 50;

/** The line that records which token a run kept; the next run reads it in PULUMI_COMMAND_STDOUT. */
const KEPT = /^Kept token (\S+)\.$/m;

/** The token the previous run kept: still in the state when this up replaces it under the same name. */
function previouslyKept(): string | undefined {
  return KEPT.exec(process.env.PULUMI_COMMAND_STDOUT ?? "")?.[1];
}

interface ListedToken {
  id: string;
  name: string;
  issued_on?: string;
}

async function main(): Promise<void> {
  const input = await readInput<CleanupCommandInput>("LeftoverTokenCleanup");
  const token = input.bootstrapToken ?? process.env.CLOUDFLARE_API_TOKEN;
  if (!token)
    fail(
      `Could not look for leftover tokens named "${input.name}": no bootstrap token (cloudflare:apiToken or CLOUDFLARE_API_TOKEN). npm run verify -- <stack> --bootstrap-token-file PATH lists them.`,
    );
  const access = { token, baseUrl: input.baseUrl };
  const base = input.accountId ? `/accounts/${input.accountId}/tokens` : "/user/tokens";
  const keep = new Set([input.keepId, previouslyKept()]);
  const leftovers: ListedToken[] = [];
  for (let page = 1; ; page++) {
    const body = (await callCloudflare(
      access,
      "GET",
      `${base}?per_page=${PER_PAGE}&page=${page}`,
    )) as {
      result: ListedToken[];
      result_info?: { total_pages?: number };
    };
    leftovers.push(
      ...body.result.filter((listed) => listed.name === input.name && !keep.has(listed.id)),
    );
    if (page >= (body.result_info?.total_pages ?? 1)) break;
  }
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
