/** Route handlers for zones: the list with its filters, and one zone. */
import { authorizedZone, capabilities } from "./auth";
import type { Context, Reply } from "./context";
import { badRequest } from "./errors";
import { paginate, zoneJson } from "./json";
import type { Zone } from "./model";

// ---------------------------------------------------------------------------
// Route handlers: zones
// ---------------------------------------------------------------------------

/** `name` takes Cloudflare's operator prefixes (`contains:`, `starts_with:`, …); equal by default. */
function nameMatches(filter: string, name: string): boolean {
  const [operator, operand] = filter.includes(":") ? filter.split(/:(.*)/s) : ["equal", filter];
  const wanted = operand.toLowerCase();
  switch (operator) {
    case "equal":
      return name === wanted;
    case "not_equal":
      return name !== wanted;
    case "starts_with":
      return name.startsWith(wanted);
    case "ends_with":
      return name.endsWith(wanted);
    case "contains":
      return name.includes(wanted);
    default:
      throw badRequest(`unknown name filter operator: ${operator}`);
  }
}

/** GET /zones: the zones the caller may read, filtered like the provider's zone data source asks. */
export function listZones(ctx: Context): Reply {
  const { query, state } = ctx;
  const filters: Array<(zone: Zone) => boolean> = [];
  const name = query.get("name");
  if (name) filters.push((zone) => nameMatches(name, zone.name));
  const status = query.get("status");
  if (status) filters.push((zone) => zone.status === status);
  const accountId = query.get("account.id");
  if (accountId) filters.push((zone) => zone.accountId === accountId);
  const accountName = query.get("account.name");
  if (accountName) filters.push((zone) => state.account(zone.accountId)?.name === accountName);
  const types = query
    .getAll("type")
    .flatMap((type) => type.split(","))
    .filter(Boolean);
  if (types.length > 0) filters.push((zone) => types.includes(zone.type));
  const any = query.get("match") === "any" && filters.length > 0;
  const visible = state.zones
    .filter((zone) => capabilities(ctx, zone).has("zone.read"))
    .filter((zone) => (any ? filters.some((f) => f(zone)) : filters.every((f) => f(zone))));
  const page = paginate(visible, query, 20, 50);
  return { result: page.result.map((zone) => zoneJson(state, zone)), resultInfo: page.resultInfo };
}

export function getZone(ctx: Context): Reply {
  return { result: zoneJson(ctx.state, authorizedZone(ctx, "zone.read")) };
}
