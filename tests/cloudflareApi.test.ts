/**
 * The loopback Cloudflare stand-in of the end-to-end tests, driven the way its
 * real clients drive it: the Pulumi provider's token, zone and permission group
 * requests, external-dns's auto-pager and batch writes, and verify's requests.
 */
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { permissionGroupId, tokenPolicies, zoneResourceKey } from "../components/tokenPolicy";
import {
  type CloudflareApi,
  DEFAULT_ZONES,
  startCloudflareApi,
  ZONE_SCOPE,
} from "../e2e/support/cloudflareApi";
import { listZoneRecords, verifyToken } from "../verify/cloudflare";

const [COM, ORG] = DEFAULT_ZONES;
const DNS_WRITE = "4755a26eedb94da69e1066d98aa820be";
const DNS_READ = "82e64a83756745bbbb1c9c2701bf816b";
const ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f";
const ACCOUNT_ID = "0c1a8c7f7e0b4c9a9d1f2e3a4b5c6d7e";

let api: CloudflareApi;

beforeEach(async () => {
  api = await startCloudflareApi();
});

afterEach(async () => {
  await api.close();
});

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: Cloudflare's envelopes, checked field by field
  body: any;
}

async function call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** The body the provider sends: resources as a JSON object, not a string. */
function tokenBody(zoneIds: string[], groupIds: string[], extra: Record<string, unknown> = {}) {
  const policies = tokenPolicies(zoneIds, groupIds).map((policy) => ({
    effect: policy.effect,
    permission_groups: policy.permissionGroups,
    resources: JSON.parse(policy.resources as string),
  }));
  return { name: "external-dns-test", policies, ...extra };
}

/** Mints a token through POST /user/tokens with the bootstrap token. */
async function mint(zoneIds: string[], groupIds: string[], extra: Record<string, unknown> = {}) {
  const created = await call(
    "POST",
    "/user/tokens",
    api.bootstrapToken,
    tokenBody(zoneIds, groupIds, extra),
  );
  expect(created.status).toBe(200);
  return { id: created.body.result.id as string, value: created.body.result.value as string };
}

/**
 * cloudflare-go's V4PagePaginationArray auto-pager, as external-dns 0.21 uses
 * it: the first request has no `page`, then page+1 until a page is empty.
 */
async function autoPage(path: string, perPage: number, token: string) {
  const records: unknown[] = [];
  let query = `per_page=${perPage}`;
  for (let page = 2; ; page++) {
    const answer = await call("GET", `${path}?${query}`, token);
    expect(answer.status).toBe(200);
    if (answer.body.result.length === 0) break;
    records.push(...answer.body.result);
    query = `per_page=${perPage}&page=${page}`;
  }
  return records;
}

function expectError(answer: Answer, status: number, code: number) {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    success: false,
    errors: [{ code, message: expect.any(String) }],
    messages: [],
    result: null,
  });
}

describe("addresses", () => {
  it("serves below /client/v4 on loopback, the form both Go clients take as base URL", () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(api.baseUrlForProvider).toBe(api.url);
  });

  it("answers unknown paths with Cloudflare's 404", async () => {
    expectError(await call("GET", "/nothing", api.bootstrapToken), 404, 7000);
  });
});

describe("token lifecycle through the provider's routes", () => {
  it("creates, reads, updates and deletes a user token; the value comes only once", async () => {
    const body = tokenBody([COM.id], [DNS_WRITE, ZONE_READ], {
      condition: { request_ip: { in: ["127.0.0.1/32"] } },
      expires_on: "2099-01-01T00:00:00Z",
    });
    const created = await call("POST", "/user/tokens", api.bootstrapToken, body);
    expect(created.status).toBe(200);
    const { id, value } = created.body.result;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(value).toMatch(/^[0-9A-Za-z_-]{40,80}$/);
    expect(created.body.result).toMatchObject({
      name: "external-dns-test",
      status: "active",
      expires_on: "2099-01-01T00:00:00Z",
      condition: { request_ip: { in: ["127.0.0.1/32"] } },
    });

    const read = await call("GET", `/user/tokens/${id}`, api.bootstrapToken);
    expect(read.status).toBe(200);
    expect(read.body.result.value).toBeUndefined();
    // The provider stores the raw JSON of `resources`: it must round-trip exactly.
    expect(JSON.stringify(read.body.result.policies[0].resources)).toBe(
      JSON.stringify(body.policies[0].resources),
    );
    expect(read.body.result.policies[0]).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      effect: "allow",
      permission_groups: [
        { id: DNS_WRITE, name: "DNS Write" },
        { id: ZONE_READ, name: "Zone Read" },
      ],
    });

    const updated = await call("PUT", `/user/tokens/${id}`, api.bootstrapToken, {
      ...body,
      name: "renamed",
    });
    expect(updated.status).toBe(200);
    expect(updated.body.result).toMatchObject({ id, name: "renamed" });
    expect(updated.body.result.value).toBeUndefined();
    expect((await call("GET", "/user/tokens/verify", value)).body.result.status).toBe("active");

    const deleted = await call("DELETE", `/user/tokens/${id}`, api.bootstrapToken);
    expect(deleted).toEqual({
      status: 200,
      body: { success: true, errors: [], messages: [], result: { id } },
    });
    // The provider drops a token from state when this read is a 404.
    expectError(await call("GET", `/user/tokens/${id}`, api.bootstrapToken), 404, 1003);
    expectError(await call("GET", "/user/tokens/verify", value), 401, 1000);
    expect(api.state.token(id)).toBeUndefined();
  });

  it("keeps a token without condition or expiry free of those fields", async () => {
    const { id } = await mint([COM.id], [DNS_WRITE]);
    const read = await call("GET", `/user/tokens/${id}`, api.bootstrapToken);
    expect(Object.keys(read.body.result)).not.toContain("condition");
    expect(Object.keys(read.body.result)).not.toContain("expires_on");
  });

  it("keeps account tokens under their account", async () => {
    const path = `/accounts/${ACCOUNT_ID}/tokens`;
    const created = await call("POST", path, api.bootstrapToken, tokenBody([COM.id], [DNS_WRITE]));
    expect(created.status).toBe(200);
    const { id, value } = created.body.result;
    expect((await call("GET", `${path}/${id}`, api.bootstrapToken)).status).toBe(200);
    expectError(await call("GET", `/user/tokens/${id}`, api.bootstrapToken), 404, 1003);

    const verified = await call("GET", `${path}/verify`, value);
    expect(verified.body.result).toEqual({ id, status: "active" });
    expectError(await call("GET", "/user/tokens/verify", value), 401, 1000);

    expect((await call("DELETE", `${path}/${id}`, api.bootstrapToken)).status).toBe(200);
    expectError(await call("GET", `${path}/${id}`, api.bootstrapToken), 404, 1003);
    expectError(
      await call("GET", "/accounts/ffffffffffffffffffffffffffffffff/tokens/x", api.bootstrapToken),
      404,
      7003,
    );
  });

  it("rejects unknown permission groups", async () => {
    const answer = await call(
      "POST",
      "/user/tokens",
      api.bootstrapToken,
      tokenBody([COM.id], ["0".repeat(32)]),
    );
    expectError(answer, 400, 1001);
    expect(api.state.tokens()).toEqual([]);
  });

  it("finds a zone by name the way the zone data source asks, then by id", async () => {
    const list = await call("GET", "/zones?match=all&name=example.org", api.bootstrapToken);
    expect(list.body.result.map((zone: { id: string }) => zone.id)).toEqual([ORG.id]);
    expect(list.body.result_info).toMatchObject({ page: 1, count: 1, total_count: 1 });
    const zone = await call("GET", `/zones/${ORG.id}`, api.bootstrapToken);
    expect(zone.body.result).toMatchObject({
      id: ORG.id,
      name: "example.org",
      account: { id: ACCOUNT_ID },
      plan: { is_subscribed: false },
    });
  });

  it("verifies the bootstrap token as a user token", async () => {
    const verified = await call("GET", "/user/tokens/verify", api.bootstrapToken);
    expect(verified.body.result).toEqual({ id: api.state.bootstrapTokenId, status: "active" });
    expect(verified.body.messages[0].message).toBe("This API Token is valid and active");
  });
});

describe("permission groups", () => {
  const query = (name: string, scope?: string) =>
    // The program URL-encodes the name and the SDK encodes the query again.
    `?name=${encodeURIComponent(encodeURIComponent(name))}${scope ? `&scope=${scope}` : ""}`;

  it("match names as substrings, so the program must pick the exact name", async () => {
    const answer = await call(
      "GET",
      `/user/tokens/permission_groups${query("DNS Write", ZONE_SCOPE)}`,
      api.bootstrapToken,
    );
    const names = answer.body.result.map((group: { name: string }) => group.name);
    expect(names).toEqual(["DNS Write", "DNS Write (stand-in decoy)"]);
    expect(answer.body.result[0]).toEqual({
      id: DNS_WRITE,
      name: "DNS Write",
      scopes: [ZONE_SCOPE],
    });
    expect(permissionGroupId(answer.body.result, "DNS Write")).toBe(DNS_WRITE);
  });

  it("filter by scope: without it, a same-named account group makes the pick ambiguous", async () => {
    const answer = await call(
      "GET",
      `/user/tokens/permission_groups${query("dns write")}`,
      api.bootstrapToken,
    );
    expect(answer.body.result).toHaveLength(3);
    expect(() => permissionGroupId(answer.body.result, "DNS Write")).toThrow(/found 2/);
  });

  it("are served for accounts too", async () => {
    const path = `/accounts/${ACCOUNT_ID}/tokens/permission_groups${query("Zone Read", ZONE_SCOPE)}`;
    const answer = await call("GET", path, api.bootstrapToken);
    expect(permissionGroupId(answer.body.result, "Zone Read")).toBe(ZONE_READ);
  });
});

describe("minted token scoping", () => {
  it("reads and edits its own zone only", async () => {
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    expect((await call("GET", `/zones/${COM.id}`, value)).status).toBe(200);
    expectError(await call("GET", `/zones/${ORG.id}`, value), 403, 9109);
    const zones = await call("GET", "/zones", value);
    expect(zones.body.result.map((zone: { name: string }) => zone.name)).toEqual(["example.com"]);

    const record = {
      type: "A",
      name: "app.example.com",
      content: "192.0.2.1",
      ttl: 1,
      proxied: false,
    };
    expect((await call("POST", `/zones/${COM.id}/dns_records`, value, record)).status).toBe(200);
    expectError(
      await call("POST", `/zones/${ORG.id}/dns_records`, value, {
        ...record,
        name: "app.example.org",
      }),
      403,
      10000,
    );
    expectError(await call("GET", `/zones/${ORG.id}/dns_records`, value), 403, 10000);
    expect(api.state.records(ORG.id)).toEqual([]);
  });

  it("needs DNS Write to write and Zone Read to read the zone", async () => {
    const { value } = await mint([COM.id], [DNS_READ]);
    expect((await call("GET", `/zones/${COM.id}/dns_records`, value)).status).toBe(200);
    const record = { type: "TXT", name: "x.example.com", content: "hi" };
    expectError(await call("POST", `/zones/${COM.id}/dns_records`, value, record), 403, 10000);
    expectError(await call("GET", `/zones/${COM.id}`, value), 403, 9109);
  });

  it("is refused once expired, and verify says so", async () => {
    const { id, value } = await mint([COM.id], [DNS_WRITE, ZONE_READ], {
      expires_on: "2000-01-01T00:00:00Z",
    });
    expectError(await call("GET", `/zones/${COM.id}`, value), 403, 9109);
    const verified = await call("GET", "/user/tokens/verify", value);
    expect(verified.status).toBe(200);
    expect(verified.body.result).toEqual({
      id,
      status: "expired",
      expires_on: "2000-01-01T00:00:00Z",
    });
    expect(await verifyToken({ token: value, baseUrl: api.url })).toMatchObject({
      status: "expired",
    });
  });

  it("judges expiry by its clock, which can run ahead", async () => {
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ], {
      expires_on: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    });
    expect((await call("GET", `/zones/${COM.id}`, value)).status).toBe(200);
    api.state.shiftClock(3 * 86_400_000);
    expectError(await call("GET", `/zones/${COM.id}`, value), 403, 9109);
    api.state.shiftClock(0);
    expect((await call("GET", `/zones/${COM.id}`, value)).status).toBe(200);
  });

  it("is refused from outside request_ip.in and accepted from inside", async () => {
    const { id, value } = await mint([COM.id], [DNS_WRITE, ZONE_READ], {
      condition: { request_ip: { in: ["203.0.113.0/24"], not_in: ["203.0.113.66/32"] } },
    });
    const refused = await call("GET", `/zones/${COM.id}`, value);
    expectError(refused, 403, 9109);
    expect(refused.body.errors[0].message).toBe(
      "Cannot use the access token from location: 127.0.0.1",
    );

    api.setClientIp("203.0.113.7", id);
    expect((await call("GET", `/zones/${COM.id}`, value)).status).toBe(200);
    api.setClientIp("203.0.113.66", id);
    expectError(await call("GET", `/zones/${COM.id}`, value), 403, 9109);
    api.setClientIp(undefined, id);
    expectError(await call("GET", `/zones/${COM.id}`, value), 403, 9109);
  });

  it("lets the bootstrap token read zones but not DNS records", async () => {
    expect((await call("GET", `/zones/${COM.id}`, api.bootstrapToken)).status).toBe(200);
    expectError(await call("GET", `/zones/${COM.id}/dns_records`, api.bootstrapToken), 403, 10000);
  });

  it("refuses unknown and missing tokens in Cloudflare's error shape (per route: tests/cloudflareFaults.test.ts)", async () => {
    expectError(await call("GET", `/zones/${COM.id}`, "x".repeat(40)), 403, 9109);
    expectError(await call("GET", "/user/tokens/verify", "x".repeat(40)), 401, 1000);
    expectError(await call("GET", `/zones/${COM.id}`), 400, 9106);
    expect(await verifyToken({ token: "x".repeat(40), baseUrl: api.url })).toMatchObject({
      kind: "rejected",
      httpStatus: 401,
    });
  });
});

describe("pagination", () => {
  it("answers an empty zone with one empty page, which ends the auto-pager", async () => {
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    expect(await autoPage(`/zones/${COM.id}/dns_records`, 5000, value)).toEqual([]);
    expect(api.requests.recordListPages(COM.id)).toBe(1);
  });

  it("pages 5,001 records at 5,000 per page as pages 1, 2 and an empty page 3", async () => {
    const seeds = Array.from({ length: 5001 }, (_, i) => ({
      type: "TXT",
      name: `r${i}`,
      content: `"record ${i}"`,
    }));
    api.state.seedRecords(COM.id, seeds);
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);

    const records = await autoPage(`/zones/${COM.id}/dns_records`, 5000, value);
    expect(records).toHaveLength(5001);
    expect(new Set(records.map((record) => (record as { id: string }).id)).size).toBe(5001);

    const pages = api.requests.filter({ kind: "dns_records.list" });
    expect(pages.map((page) => page.query.page ?? "none")).toEqual(["none", "2", "3"]);
    const first = await call("GET", `/zones/${COM.id}/dns_records?per_page=5000`, value);
    expect(first.body.result_info).toEqual({
      page: 1,
      per_page: 5000,
      count: 5000,
      total_count: 5001,
      total_pages: 2,
    });
    const third = await call("GET", `/zones/${COM.id}/dns_records?per_page=5000&page=3`, value);
    expect(third.body.result).toEqual([]);
    expect(third.body.result_info).toMatchObject({ page: 3, count: 0, total_pages: 2 });
  });

  it("serves verify's record listing", async () => {
    api.state.seedRecords(COM.id, [
      { type: "TXT", name: "externaldns-a.shop", content: '"heritage=external-dns"' },
      { type: "A", name: "shop", content: "192.0.2.10" },
    ]);
    const { value } = await mint([COM.id, ORG.id], [DNS_WRITE, ZONE_READ]);
    expect(await listZoneRecords({ token: value, baseUrl: api.url }, [COM.id, ORG.id])).toEqual([
      { name: "externaldns-a.shop.example.com", type: "TXT", content: '"heritage=external-dns"' },
      { name: "shop.example.com", type: "A", content: "192.0.2.10" },
    ]);
    expect(api.requests.recordListPages()).toBe(2);
  });

  it("rejects a page size that is not a positive integer", async () => {
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    expectError(await call("GET", `/zones/${COM.id}/dns_records?per_page=0`, value), 400, 1001);
  });
});

describe("DNS record writes as external-dns sends them", () => {
  async function batch(token: string, body: unknown) {
    return call("POST", `/zones/${COM.id}/dns_records/batch`, token, body);
  }

  it("applies a batch of deletes, puts and posts, with external-dns's empty comment and null tags", async () => {
    const [old, kept] = api.state.seedRecords(COM.id, [
      { type: "A", name: "old", content: "192.0.2.1" },
      { type: "A", name: "kept", content: "192.0.2.2" },
    ]);
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    const post = {
      name: "new.example.com",
      ttl: 1,
      type: "A",
      content: "192.0.2.3",
      proxied: false,
      priority: 0,
      comment: "",
      tags: null,
    };
    const put = {
      id: kept.id,
      name: "kept.example.com",
      ttl: 300,
      type: "A",
      content: "192.0.2.2",
      proxied: false,
      comment: "owned",
      tags: ["team:dns"],
    };
    const answer = await batch(value, { deletes: [{ id: old.id }], puts: [put], posts: [post] });
    expect(answer.status).toBe(200);
    expect(answer.body.result.deletes.map((record: { id: string }) => record.id)).toEqual([old.id]);
    expect(answer.body.result.puts[0]).toMatchObject({
      id: kept.id,
      ttl: 300,
      comment: "owned",
      tags: ["team:dns"],
    });
    expect(answer.body.result.posts[0]).toMatchObject({
      name: "new.example.com",
      comment: null,
      tags: [],
      proxiable: true,
    });
    expect(answer.body.result.posts[0].priority).toBeUndefined();
    expect(api.state.records(COM.id).map((record) => record.name)).toEqual([
      "kept.example.com",
      "new.example.com",
    ]);
    expect(api.requests.writes(COM.id)).toBe(1);
    const [logged] = api.requests.filter({ kind: "dns_records.batch" });
    expect(logged.recordNames).toEqual(["old.example.com", "kept.example.com", "new.example.com"]);
  });

  it("logs the names a refused write asked for, too", async () => {
    const { value } = await mint([ORG.id], [DNS_WRITE, ZONE_READ]);
    const posts = [{ name: "x", type: "A", content: "192.0.2.9" }];
    expectError(await batch(value, { posts }), 403, 10000);
    const [refused] = api.requests.filter({ kind: "dns_records.batch" });
    expect(refused).toMatchObject({ status: 403, recordNames: ["x.example.com"] });
  });

  it("changes nothing when any part of a batch fails", async () => {
    const [record] = api.state.seedRecords(COM.id, [
      { type: "A", name: "a", content: "192.0.2.1" },
    ]);
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    const answer = await batch(value, {
      deletes: [{ id: record.id }],
      posts: [{ name: "b.example.com", type: "A", content: "not-an-ip" }],
    });
    expectError(answer, 400, 9005);
    expect(api.state.records(COM.id)).toEqual([record]);
  });

  it("serves the single-record fallbacks: create, update, delete", async () => {
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    const base = {
      name: "www.example.com",
      type: "CNAME",
      content: "example.com",
      ttl: 1,
      proxied: true,
      comment: "",
      tags: null,
      priority: 0,
    };
    const created = await call("POST", `/zones/${COM.id}/dns_records`, value, base);
    expect(created.body.result).toMatchObject({ name: "www.example.com", proxied: true, ttl: 1 });
    const id = created.body.result.id;

    expectError(await call("POST", `/zones/${COM.id}/dns_records`, value, base), 400, 81058);
    const clash = { ...base, type: "A", content: "192.0.2.9", proxied: false };
    expectError(await call("POST", `/zones/${COM.id}/dns_records`, value, clash), 400, 81053);

    const updated = await call("PUT", `/zones/${COM.id}/dns_records/${id}`, value, {
      ...base,
      content: "example.org",
      proxied: false,
      ttl: 120,
    });
    expect(updated.body.result).toMatchObject({
      id,
      content: "example.org",
      ttl: 120,
      proxied: false,
    });

    const deleted = await call("DELETE", `/zones/${COM.id}/dns_records/${id}`, value);
    expect(deleted.body.result).toEqual({ id });
    expectError(await call("DELETE", `/zones/${COM.id}/dns_records/${id}`, value), 404, 81044);
    // Refused writes are requests too: 6 in all, 3 of them answered 200.
    expect(api.requests.writes(COM.id)).toBe(6);
    expect(
      api.requests.count((entry) => entry.kind.startsWith("dns_records.") && entry.status === 200),
    ).toBe(3);
  });

  it("refuses to proxy a TXT record", async () => {
    const { value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    const record = { name: "t.example.com", type: "TXT", content: "x", proxied: true };
    expectError(await call("POST", `/zones/${COM.id}/dns_records`, value, record), 400, 9004);
  });
});

describe("request log", () => {
  it("records method, path, query, token id, status and time, and can be cleared", async () => {
    const { id, value } = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    const before = Date.now();
    await call("GET", `/zones/${COM.id}`, value);
    await call("GET", `/zones/${COM.id}/dns_records?type=TXT&per_page=5000&page=1`, value);
    await call("GET", `/zones/${ORG.id}`, value);
    expect(api.requests.all.at(-2)).toMatchObject({
      method: "GET",
      path: `/zones/${COM.id}/dns_records`,
      query: { type: "TXT", per_page: "5000", page: "1" },
      kind: "dns_records.list",
      zoneId: COM.id,
      tokenId: id,
      status: 200,
    });
    expect(api.requests.all.at(-1)?.time).toBeGreaterThanOrEqual(before);
    expect(api.requests.zoneGets()).toBe(2);
    expect(api.requests.zoneGets(COM.id)).toBe(1);
    expect(api.requests.count({ status: 403 })).toBe(1);
    expect(api.requests.count({ kind: "tokens.create", tokenId: "bootstrap" })).toBe(1);
    api.requests.clear();
    expect(api.requests.all).toEqual([]);
  });

  it("never holds a token value, nor does printing the stand-in show one", async () => {
    const user = await mint([COM.id], [DNS_WRITE, ZONE_READ]);
    const path = `/accounts/${ACCOUNT_ID}/tokens`;
    const account = (await call("POST", path, api.bootstrapToken, tokenBody([COM.id], [DNS_WRITE])))
      .body.result;
    await call("GET", "/user/tokens/verify", user.value);
    await call("GET", `${path}/verify`, account.value);
    await call("GET", "/user/tokens/verify", "y".repeat(40));
    await call("GET", "/user/tokens/verify");

    const values = [api.bootstrapToken, user.value, account.value, "y".repeat(40)];
    const printed = [
      JSON.stringify(api.requests.all),
      inspect(api.requests, { depth: null }),
      inspect(api, { depth: null, showHidden: true }),
      JSON.stringify(api.state.tokens()),
      inspect(api.state, { depth: null }),
    ].join("\n");
    for (const value of values) expect(printed).not.toContain(value);
    expect(api.requests.all.map((entry) => entry.tokenId).slice(-4)).toEqual([
      user.id,
      account.id,
      "unknown",
      "none",
    ]);
    expect(api.state.tokenValue(user.id)).toBe(user.value);
  });
});

describe("zones seeded for tests", () => {
  it("takes added zones and records relative to the zone", () => {
    const zone = api.state.addZone({ name: "Example.Dev" });
    expect(zone.id).toMatch(/^[0-9a-f]{32}$/);
    const [apex, sub] = api.state.seedRecords(zone.id, [
      { type: "A", name: "@", content: "192.0.2.1" },
      { type: "MX", name: "mail", content: "mx.example.dev", priority: 5 },
    ]);
    expect([apex.name, sub.name, sub.priority]).toEqual(["example.dev", "mail.example.dev", 5]);
    expect(zoneResourceKey(zone.id)).toBe(`${ZONE_SCOPE}.${zone.id}`);
  });
});
