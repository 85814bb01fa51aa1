/** Route handlers for user and account tokens and their permission groups. */
import { isIP } from "node:net";
import { requireTokenAdmin } from "./auth";
import type { Context, Reply } from "./context";
import { ApiError, badRequest, hexId, isObject } from "./errors";
import { groupJson, paginate, tokenJson } from "./json";
import type { StoredToken, TokenCondition, TokenOwner, TokenPolicy } from "./model";
import type { CloudflareState } from "./state";

// ---------------------------------------------------------------------------
// Route handlers: tokens and permission groups
// ---------------------------------------------------------------------------

/** The token owner a route addresses: /user/tokens or /accounts/{id}/tokens. */
function routeOwner(ctx: Context): TokenOwner {
  const accountId = ctx.params.accountId;
  if (accountId === undefined) return { kind: "user" };
  if (!ctx.state.account(accountId))
    throw new ApiError(
      404,
      7003,
      `Could not route to /accounts/${accountId}/tokens, perhaps your object identifier is invalid?`,
    );
  return { kind: "account", accountId };
}

function sameOwner(a: TokenOwner, b: TokenOwner): boolean {
  return (
    a.kind === b.kind &&
    (a.kind === "user" || a.accountId === (b as { accountId: string }).accountId)
  );
}

/** A token under the route's owner, or Cloudflare's 404 (which the provider turns into "gone"). */
function ownedToken(ctx: Context): StoredToken {
  const owner = routeOwner(ctx);
  const token = ctx.state.storedToken(ctx.params.tokenId);
  if (!token || !sameOwner(token.owner, owner))
    throw new ApiError(404, 1003, "Invalid API Token ID");
  return token;
}

/** Answers for the presented token; a token of another owner is an invalid token here. */
export function verifyToken(ctx: Context): Reply {
  const owner = routeOwner(ctx);
  if (ctx.caller.kind === "bootstrap") {
    if (owner.kind !== "user") throw new ApiError(401, 1000, "Invalid API Token");
    return verified({ id: ctx.state.bootstrapTokenId, status: "active" });
  }
  const token = ctx.caller.token;
  if (!sameOwner(token.owner, owner)) throw new ApiError(401, 1000, "Invalid API Token");
  return verified({
    id: token.id,
    status: ctx.state.effectiveStatus(token),
    ...(token.notBefore && { not_before: token.notBefore }),
    ...(token.expiresOn && { expires_on: token.expiresOn }),
  });
}

function verified(result: { id: string; status: string }): Reply {
  const active = result.status === "active";
  const message = active
    ? "This API Token is valid and active"
    : `This API Token is ${result.status}`;
  return { result, messages: [{ code: 10000, message, type: null }] };
}

/** Parses a create/update body the way the provider sends it (resources as a JSON object). */
function tokenInput(state: CloudflareState, body: unknown) {
  if (!isObject(body)) throw badRequest("request body must be a JSON object", 6007);
  const { name, policies, condition, expires_on, not_before, status } = body;
  if (typeof name !== "string" || name === "") throw badRequest("name is required");
  if (!Array.isArray(policies) || policies.length === 0)
    throw badRequest("policies must be a non-empty array");
  // The statuses a client may set (api_token/schema.go:131 in the provider); "revoked (exposed)" is Cloudflare's.
  if (status !== undefined && !["active", "disabled", "expired"].includes(status as string))
    throw badRequest(`status must be active, disabled or expired; given ${String(status)}`);
  return {
    name,
    policies: policies.map((policy) => policyInput(state, policy)),
    condition: conditionInput(condition),
    expiresOn: dateInput(expires_on, "expires_on"),
    notBefore: dateInput(not_before, "not_before"),
    status: status as StoredToken["status"] | undefined,
  };
}

function policyInput(state: CloudflareState, policy: unknown): TokenPolicy {
  if (!isObject(policy)) throw badRequest("each policy must be an object");
  const { effect, permission_groups: groups } = policy;
  if (effect !== "allow" && effect !== "deny")
    throw badRequest("policy effect must be allow or deny");
  if (!Array.isArray(groups) || groups.length === 0)
    throw badRequest("policy permission_groups must be a non-empty array");
  for (const group of groups) {
    const id = isObject(group) ? group.id : undefined;
    if (!state.permissionGroups.some((known) => known.id === id))
      throw badRequest(`unknown permission group: ${String(id)}`);
  }
  const resources = resourcesInput(policy.resources);
  if (!isObject(resources) || Object.keys(resources).length === 0)
    throw badRequest("policy resources must be a non-empty object");
  return {
    id: typeof policy.id === "string" ? policy.id : hexId(),
    effect,
    permission_groups: groups.map((group) => ({ id: String(group.id) })),
    resources,
  };
}

/** The provider sends an object; a JSON string is taken too. */
function resourcesInput(resources: unknown): unknown {
  if (typeof resources !== "string") return resources;
  try {
    return JSON.parse(resources);
  } catch {
    throw badRequest("policy resources must be a JSON object");
  }
}

function conditionInput(condition: unknown): TokenCondition | undefined {
  if (condition === undefined || condition === null) return undefined;
  if (!isObject(condition)) throw badRequest("condition must be an object");
  const requestIp = condition.request_ip;
  if (requestIp === undefined || requestIp === null) return {};
  if (!isObject(requestIp)) throw badRequest("condition.request_ip must be an object");
  const lists: NonNullable<TokenCondition["request_ip"]> = {};
  for (const key of ["in", "not_in"] as const) {
    const list = requestIp[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || list.some((cidr) => typeof cidr !== "string" || !isCidr(cidr)))
      throw badRequest(`condition.request_ip.${key} must be a list of CIDRs`);
    lists[key] = list;
  }
  return { request_ip: lists };
}

function isCidr(cidr: string): boolean {
  const [address, prefix, extra] = cidr.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

function dateInput(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || Number.isNaN(Date.parse(value)))
    throw badRequest(`${name} must be an RFC 3339 date-time`);
  return value;
}

/** POST: the only answer that carries the token's value. */
export function createToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const owner = routeOwner(ctx);
  const input = tokenInput(ctx.state, ctx.body);
  const { id, value } = ctx.state.mintToken({ ...input, owner, status: input.status ?? "active" });
  const stored = ctx.state.storedToken(id) as StoredToken;
  return { result: { ...tokenJson(ctx.state, stored), value } };
}

export function getToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  return { result: tokenJson(ctx.state, ownedToken(ctx)) };
}

/** PUT replaces everything the body describes; the value stays. */
export function updateToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const token = ownedToken(ctx);
  const input = tokenInput(ctx.state, ctx.body);
  ctx.state.updateToken(token.id, { ...input, status: input.status ?? token.status });
  return { result: tokenJson(ctx.state, token) };
}

export function deleteToken(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const token = ownedToken(ctx);
  ctx.state.deleteToken(token.id);
  return { result: { id: token.id } };
}

export function listTokens(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  const owner = routeOwner(ctx);
  const owned = ctx.state.tokens().filter((token) => sameOwner(token.owner, owner));
  const page = paginate(owned, ctx.query, 20, 50);
  const result = page.result.map((view) =>
    tokenJson(ctx.state, ctx.state.storedToken(view.id) as StoredToken),
  );
  return { result, resultInfo: page.resultInfo };
}

/**
 * Permission groups, one page. The provider sends `name` URL-encoded once more
 * than HTTP needs (the program passes encodeURIComponent(name), and the SDK
 * encodes the query), so the name is decoded a second time, as Cloudflare does.
 * The name matches as a case-insensitive substring; scope matches exactly.
 */
export function listPermissionGroups(ctx: Context): Reply {
  requireTokenAdmin(ctx);
  routeOwner(ctx);
  const name = decodeOnce(ctx.query.get("name") ?? "").toLowerCase();
  const scope = ctx.query.get("scope");
  const result = ctx.state.permissionGroups
    .filter((group) => group.name.toLowerCase().includes(name))
    .filter((group) => !scope || group.scopes.includes(scope))
    .map(groupJson);
  return { result };
}

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
