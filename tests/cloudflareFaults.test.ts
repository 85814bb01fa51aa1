/**
 * The Cloudflare stand-in's refusals and faults, over real HTTP: its answer to
 * each kind of bad token on each route, revoked tokens, the per-user rate
 * limit, the batch limit by zone plan, and the faults tests inject. Each test
 * names the source of what it checks; the stand-in's modules cite them in full.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RateLimiter } from "../e2e/support/cloudflare/limits";
import {
  type CloudflareApi,
  DEFAULT_ZONES,
  DNS_WRITE_GROUP_ID,
  REVOKED,
  startCloudflareApi,
  ZONE_READ_GROUP_ID,
} from "../e2e/support/cloudflareApi";

const [COM] = DEFAULT_ZONES;
const ACCOUNT_ID = "0c1a8c7f7e0b4c9a9d1f2e3a4b5c6d7e";
const UNKNOWN = "u".repeat(40);

let api: CloudflareApi;

beforeEach(async () => {
  api = await startCloudflareApi();
});

afterEach(async () => {
  await api.close();
});

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: Cloudflare's envelopes, checked field by field
  body: any;
}

async function send(
  method: string,
  path: string,
  authorization?: string,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  return send(method, path, token === undefined ? undefined : `Bearer ${token}`, body);
}

function expectError(answer: Answer, status: number, code: number, message?: string) {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    success: false,
    errors: [{ code, message: message ?? expect.any(String) }],
    messages: [],
    result: null,
  });
}

/** A DNS Write + Zone Read token on example.com, as the program mints one. */
function mint(extra: Partial<Parameters<CloudflareApi["state"]["mintToken"]>[0]> = {}) {
  return api.state.mintToken({
    name: "external-dns",
    policies: [
      {
        effect: "allow",
        permission_groups: [{ id: DNS_WRITE_GROUP_ID }, { id: ZONE_READ_GROUP_ID }],
        resources: { [`com.cloudflare.api.account.zone.${COM.id}`]: "*" },
      },
    ],
    ...extra,
  });
}

const ZONE = `/zones/${COM.id}`;
const RECORDS = `/zones/${COM.id}/dns_records`;
const BATCH = `/zones/${COM.id}/dns_records/batch`;

/** The refusal every route but verify gives a token Cloudflare will not take. */
async function expectRefusedLikeUnknown(token: string) {
  expectError(await call("GET", ZONE, token), 403, 9109, "Invalid access token");
  expectError(await call("GET", "/zones", token), 403, 9109, "Invalid access token");
  expectError(await call("GET", RECORDS, token), 401, 10000, "Authentication error");
  expectError(await call("POST", BATCH, token, { posts: [] }), 401, 10000, "Authentication error");
}

describe("token refusals per route", () => {
  it("missing header: verify 400/1001 (kissgyorgy/cloudflare-dyndns#40), elsewhere 400/9106 (cloudflare/cloudflare-python#2678)", async () => {
    expectError(
      await call("GET", "/user/tokens/verify"),
      400,
      1001,
      'Missing "Authorization" header',
    );
    const missing = "Missing X-Auth-Key, X-Auth-Email or Authorization headers";
    expectError(await call("GET", ZONE), 400, 9106, missing);
    expectError(await call("GET", RECORDS), 400, 9106, missing);
    expect(api.requests.all.map((entry) => entry.tokenId)).toEqual(["none", "none", "none"]);
  });

  it("malformed header: 400/6003 with 6111 in error_chain on every route (ddclient/ddclient#361, kissgyorgy/cloudflare-dyndns#40)", async () => {
    const malformed = [
      `Bearer ${"k".repeat(37)}`, // a Global API Key's length
      `Bearer ${"t".repeat(40)},`, // ddclient's trailing comma
      `Basic ${"t".repeat(40)}`,
      "Bearer",
    ];
    for (const header of malformed)
      for (const path of ["/user/tokens/verify", ZONE, RECORDS]) {
        const answer = await send("GET", path, header);
        expect(answer.status).toBe(400);
        expect(answer.body.errors).toEqual([
          {
            code: 6003,
            message: "Invalid request headers",
            error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
          },
        ]);
      }
  });

  it("unknown token: verify 401/1000, zone reads 403/9109 (khuedoan/homelab#108), DNS records 401/10000", async () => {
    expectError(await call("GET", "/user/tokens/verify", UNKNOWN), 401, 1000, "Invalid API Token");
    expectError(
      await call("GET", `/accounts/${ACCOUNT_ID}/tokens/verify`, UNKNOWN),
      401,
      1000,
      "Invalid API Token",
    );
    await expectRefusedLikeUnknown(UNKNOWN);
    // Token routes: no recorded answer; they keep verify's.
    expectError(await call("GET", "/user/tokens", UNKNOWN), 401, 1000, "Invalid API Token");
    expect(api.requests.all.every((entry) => entry.tokenId === "unknown")).toBe(true);
  });

  it("a token deleted by hand is refused like one never issued", async () => {
    const { id, value } = mint();
    expect((await call("GET", ZONE, value)).status).toBe(200);
    expect(api.deleteToken(id)).toBe(true);
    expect(api.deleteToken(id)).toBe(false);
    expect(api.state.token(id)).toBeUndefined();
    expectError(await call("GET", "/user/tokens/verify", value), 401, 1000, "Invalid API Token");
    await expectRefusedLikeUnknown(value);
  });

  it(`a revoked token keeps existing as "${REVOKED}" (the status terraform-provider-cloudflare's api_token/resource.go:187 drops from state), refused everywhere but verify`, async () => {
    const { id, value } = mint();
    const view = api.revokeToken(id);
    expect(view).toMatchObject({ id, status: REVOKED, effectiveStatus: REVOKED });

    const verified = await call("GET", "/user/tokens/verify", value);
    expect(verified.status).toBe(200);
    expect(verified.body.result).toEqual({ id, status: "revoked (exposed)" });
    await expectRefusedLikeUnknown(value);
    // What the provider reads with its own token on refresh.
    const read = await call("GET", `/user/tokens/${id}`, api.bootstrapToken);
    expect(read.body.result).toMatchObject({ id, status: "revoked (exposed)" });
    expect(() => api.revokeToken("0".repeat(32))).toThrow(/no token/);
  });

  it("an expired token: verify reports it, every other route refuses it like an unknown one", async () => {
    const { id, value } = mint({ expiresOn: "2000-01-01T00:00:00Z" });
    const verified = await call("GET", "/user/tokens/verify", value);
    expect(verified.body.result).toEqual({
      id,
      status: "expired",
      expires_on: "2000-01-01T00:00:00Z",
    });
    await expectRefusedLikeUnknown(value);
  });

  it("outside condition.request_ip: 403/9109 'Cannot use the access token from location' on every route", async () => {
    const { value } = mint({ condition: { request_ip: { in: ["203.0.113.0/24"] } } });
    const message = "Cannot use the access token from location: 127.0.0.1";
    for (const path of ["/user/tokens/verify", ZONE, RECORDS])
      expectError(await call("GET", path, value), 403, 9109, message);
  });
});

describe("rate limit (https://developers.cloudflare.com/fundamentals/api/reference/limits/)", () => {
  const tooMany = (requests: number, seconds: number) =>
    `More than ${requests} requests per ${seconds} seconds reached. Please wait and consider throttling your request speed`;

  it("defaults to Cloudflare's 1,200 per 300 s, and then blocks for a whole window", () => {
    let now = 0;
    const limiter = new RateLimiter({}, () => now);
    expect(limiter.limit).toEqual({ requests: 1200, windowMs: 300_000 });
    for (let i = 0; i < 1200; i++) limiter.take("user");
    now = 1000;
    expect(() => limiter.take("user")).toThrow(tooMany(1200, 300));
    now = 300_500; // past the first window, still inside the block
    expect(() => limiter.take("user")).toThrow(/More than 1200/);
    now = 301_000;
    expect(() => limiter.take("user")).not.toThrow();
  });

  it("counts the bootstrap and user tokens together, then answers 429/10100 with retry-after (lablabs/cloudflare-exporter#74)", async () => {
    const user = mint();
    api.setRateLimit({ requests: 3, windowMs: 1500 });
    expect((await call("GET", "/user/tokens/verify", api.bootstrapToken)).status).toBe(200);
    expect((await call("GET", ZONE, user.value)).status).toBe(200);
    expect((await call("GET", RECORDS, user.value)).status).toBe(200);
    const refused = await call("GET", ZONE, api.bootstrapToken);
    expectError(refused, 429, 10100, tooMany(3, 2));
    expect(refused.headers.get("retry-after")).toBe("2"); // 1.5 s, rounded up
    const still = await call("GET", "/user/tokens/verify", user.value);
    expectError(still, 429, 10100, tooMany(3, 2));
    expect(Number(still.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(api.requests.count({ status: 429 })).toBe(2);
  });

  it("gives an account token a limit of its own ('per user/account token')", async () => {
    const created = await call("POST", `/accounts/${ACCOUNT_ID}/tokens`, api.bootstrapToken, {
      name: "account",
      policies: [
        {
          effect: "allow",
          permission_groups: [{ id: ZONE_READ_GROUP_ID }],
          resources: { [`com.cloudflare.api.account.zone.${COM.id}`]: "*" },
        },
      ],
    });
    const account = created.body.result.value as string;
    api.setRateLimit({ requests: 1, windowMs: 60_000 });
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(200);
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(429);
    expect((await call("GET", ZONE, account)).status).toBe(200);
    expect((await call("GET", ZONE, account)).status).toBe(429);
  });

  it("lets requests through again once the window and its block are over, and can be turned off", async () => {
    api.setRateLimit({ requests: 1, windowMs: 300 });
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(200);
    const refused = await call("GET", ZONE, api.bootstrapToken);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1"); // 0.3 s, rounded up
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(200);
    api.setRateLimit(false);
    for (let i = 0; i < 5; i++)
      expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(200);
  });

  it("is set at start too", async () => {
    await api.close();
    api = await startCloudflareApi({ rateLimit: { requests: 1 } });
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(200);
    const refused = await call("GET", ZONE, api.bootstrapToken);
    expectError(refused, 429, 10100, tooMany(1, 300));
    expect(refused.headers.get("retry-after")).toBe("300");
  });
});

describe("batch limit by plan (https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/)", () => {
  const posts = (count: number, zone: string) =>
    Array.from({ length: count }, (_, i) => ({
      type: "TXT",
      name: `r${i}.${zone}`,
      content: `"${i}"`,
    }));

  it("takes 200 changes on a Free zone (the default), refuses 201 and changes nothing", async () => {
    const { value } = mint();
    expect((await call("GET", ZONE, value)).body.result.plan).toMatchObject({ id: "free" });
    const [kept] = api.state.seedRecords(COM.id, [{ type: "A", name: "a", content: "192.0.2.1" }]);
    const over = await call("POST", BATCH, value, {
      deletes: [{ id: kept.id }],
      posts: posts(200, COM.name),
    });
    expectError(over, 400, 1001);
    expect(over.body.errors[0].message).toMatch(/at most 200 changes; given 201/);
    expect(api.state.records(COM.id)).toEqual([kept]);
    expect((await call("POST", BATCH, value, { posts: posts(200, COM.name) })).status).toBe(200);
    expect(api.state.records(COM.id)).toHaveLength(201);
  });

  it("takes 3,500 changes on a paid zone and refuses 3,501", async () => {
    const zone = api.state.addZone({ name: "paid.example", paidPlan: true });
    const { value } = api.state.mintDnsToken("paid", [zone.id]);
    const path = `/zones/${zone.id}/dns_records/batch`;
    expect((await call("GET", `/zones/${zone.id}`, value)).body.result.plan).toMatchObject({
      id: "pro",
    });
    const over = await call("POST", path, value, { posts: posts(3501, zone.name) });
    expectError(over, 400, 1001);
    expect(over.body.errors[0].message).toMatch(/at most 3500 changes; given 3501/);
    expect((await call("POST", path, value, { posts: posts(3500, zone.name) })).status).toBe(200);
  });
});

describe("fault injection", () => {
  it("answers the next N matching requests with a 5xx and logs them", async () => {
    const { value } = mint();
    const fault = api.injectFault({
      kinds: "dns_records.list",
      fault: { type: "status", status: 503 },
      times: 2,
    });
    expect((await call("GET", ZONE, value)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const answer = await call("GET", RECORDS, value);
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ success: false, errors: [], messages: [], result: null });
    }
    expect((await call("GET", RECORDS, value)).status).toBe(200);
    expect([fault.seen, fault.hits]).toEqual([3, 2]);
    expect(api.requests.faults()).toBe(2);
    expect(api.requests.faults("status")).toBe(2);
    expect(api.requests.filter({ fault: "status" }).map((entry) => entry.status)).toEqual([
      503, 503,
    ]);
  });

  it("starts from the Nth matching request, for several kinds", async () => {
    const { value } = mint();
    api.injectFault({
      kinds: ["zones.get", "zones.list"],
      fault: { type: "status", status: 500 },
      skip: 2,
      times: 1,
    });
    const statuses = [];
    for (const path of [ZONE, "/zones", RECORDS, ZONE, ZONE])
      statuses.push((await call("GET", path, value)).status);
    expect(statuses).toEqual([200, 200, 200, 500, 200]);
  });

  it("answers 429 with the retry-after it is given", async () => {
    api.injectFault({ fault: { type: "rateLimited", retryAfterSeconds: 7 } });
    const answer = await call("GET", ZONE, api.bootstrapToken);
    expectError(answer, 429, 10100);
    expect(answer.headers.get("retry-after")).toBe("7");
    expect(api.requests.all[0]).toMatchObject({ fault: "rateLimited", status: 429 });
  });

  it("answers late, then normally", async () => {
    api.injectFault({ kinds: "zones.get", fault: { type: "slow", delayMs: 300 } });
    const started = performance.now();
    const answer = await call("GET", ZONE, api.bootstrapToken);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(answer.status).toBe(200);
    expect(answer.body.result.id).toBe(COM.id);
    expect(api.requests.all[0]).toMatchObject({ fault: "slow", status: 200 });
  });

  it("does the request at once and answers late: a client killed meanwhile never learns of the token", async () => {
    api.injectFault({ kinds: "tokens.create", fault: { type: "lateAnswer", delayMs: 300 } });
    const before = api.state.tokens().length;
    const started = performance.now();
    const pending = call("POST", "/user/tokens", api.bootstrapToken, {
      name: "late",
      policies: [
        {
          effect: "allow",
          permission_groups: [{ id: ZONE_READ_GROUP_ID }],
          resources: { [`com.cloudflare.api.account.zone.${COM.id}`]: "*" },
        },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.state.tokens().map((token) => token.name)).toHaveLength(before + 1);
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(api.requests.all.at(-1)).toMatchObject({ kind: "tokens.create", fault: "lateAnswer" });
  });

  it("drops the connection without an answer", async () => {
    api.injectFault({ kinds: "zones.get", fault: { type: "drop" }, times: 1 });
    await expect(call("GET", ZONE, api.bootstrapToken)).rejects.toThrow();
    expect(api.requests.all[0]).toMatchObject({ kind: "zones.get", fault: "drop", status: 0 });
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(200);
  });

  it("is removed one by one or all at once, and takes only 5xx statuses", async () => {
    const first = api.injectFault({ fault: { type: "status", status: 502 } });
    api.injectFault({ kinds: "zones.get", fault: { type: "status", status: 504 } });
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(502);
    first.remove();
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(504);
    api.clearFaults();
    expect((await call("GET", ZONE, api.bootstrapToken)).status).toBe(200);
    expect(() => api.injectFault({ fault: { type: "status", status: 404 } })).toThrow(/5xx/);
  });
});
