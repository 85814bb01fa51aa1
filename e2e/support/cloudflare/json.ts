/** Tokens, zones, records and permission groups in Cloudflare's JSON shapes, and its pagination. */
import { badRequest, PROXIABLE_TYPES } from "./errors";
import type { DnsRecord, PermissionGroup, StoredToken, Zone } from "./model";
import type { CloudflareState } from "./state";

// ---------------------------------------------------------------------------
// Serialization (Cloudflare's JSON shapes)
// ---------------------------------------------------------------------------

export function tokenJson(state: CloudflareState, token: StoredToken) {
  return {
    id: token.id,
    name: token.name,
    status: state.effectiveStatus(token),
    issued_on: token.issuedOn,
    modified_on: token.modifiedOn,
    ...(token.lastUsedOn && { last_used_on: token.lastUsedOn }),
    ...(token.notBefore && { not_before: token.notBefore }),
    ...(token.expiresOn && { expires_on: token.expiresOn }),
    policies: token.policies.map((policy) => ({
      id: policy.id,
      effect: policy.effect,
      permission_groups: policy.permission_groups.map(({ id }) => ({
        id,
        name: state.permissionGroups.find((group) => group.id === id)?.name,
      })),
      resources: policy.resources,
    })),
    // Echoed as sent: the provider keeps `condition` null in state when none was set.
    ...(token.condition && { condition: token.condition }),
  };
}

export function zoneJson(state: CloudflareState, zone: Zone) {
  const account = state.account(zone.accountId);
  return {
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: false,
    type: zone.type,
    development_mode: 0,
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    vanity_name_servers: [],
    created_on: zone.createdOn,
    modified_on: zone.createdOn,
    activated_on: zone.createdOn,
    meta: {
      step: 2,
      custom_certificate_quota: 0,
      page_rule_quota: 3,
      phishing_detected: false,
      cdn_only: false,
      dns_only: false,
      foundation_dns: false,
    },
    owner: { id: null, type: "user", name: null },
    account: { id: zone.accountId, name: account?.name ?? "" },
    tenant: { id: null, name: null },
    tenant_unit: { id: null },
    permissions: ["#dns_records:edit", "#dns_records:read", "#zone:read"],
    plan: zone.paidPlan ? plan("pro", "Pro Website", 20, true) : plan("free", "Free Website", 0),
  };
}

function plan(id: string, name: string, price: number, subscribed = false) {
  return {
    id,
    name,
    price,
    currency: "USD",
    frequency: subscribed ? "monthly" : "",
    is_subscribed: subscribed,
    can_subscribe: false,
    legacy_id: id,
    legacy_discount: false,
    externally_managed: false,
  };
}

export function recordJson(record: DnsRecord) {
  return {
    id: record.id,
    type: record.type,
    name: record.name,
    content: record.content,
    proxiable: PROXIABLE_TYPES.has(record.type),
    proxied: record.proxied,
    ttl: record.ttl,
    settings: {},
    meta: {},
    comment: record.comment,
    tags: record.tags,
    ...(record.priority !== undefined && { priority: record.priority }),
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

export function groupJson(group: PermissionGroup) {
  return { id: group.id, name: group.name, scopes: group.scopes };
}

// ---------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------

export interface Page<T> {
  result: T[];
  resultInfo: {
    page: number;
    per_page: number;
    count: number;
    total_count: number;
    total_pages: number;
  };
}

function positiveInt(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw badRequest(`${name} must be an integer between 1 and ${max}; given ${raw}`);
  return value;
}

/**
 * Cloudflare's page-number pagination. A page past the end is an empty
 * `result`, which is what ends the Go SDK's auto-pager (it ignores total_pages).
 */
export function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  defaultPerPage: number,
  maxPerPage: number,
): Page<T> {
  const page = positiveInt(query, "page", 1, Number.MAX_SAFE_INTEGER);
  const perPage = positiveInt(query, "per_page", defaultPerPage, maxPerPage);
  const result = items.slice((page - 1) * perPage, page * perPage);
  return {
    result,
    resultInfo: {
      page,
      per_page: perPage,
      count: result.length,
      total_count: items.length,
      total_pages: Math.ceil(items.length / perPage),
    },
  };
}
