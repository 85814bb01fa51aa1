/**
 * The HTTP side: answers in Cloudflare's envelope, injected faults, the rate
 * limit, and the running server with the facade tests drive it by.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { authenticate, presentedToken } from "./auth";
import type { Caller, Reply } from "./context";
import { ApiError, badRequest, tokenValue } from "./errors";
import { FaultInjector, type FaultRule, type InjectedFault } from "./faults";
import { CLOUDFLARE_RATE_LIMIT, type RateLimit, RateLimiter, tooManyRequests } from "./limits";
import { API_PREFIX, type TokenView } from "./model";
import { DNS_WRITE_KINDS, type RecordedRequest, RequestLog } from "./requestLog";
import { matchRoute } from "./routes";
import { type CloudflareApiOptions, CloudflareState } from "./state";

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/** IPs requests count as coming from, instead of the socket's (see CloudflareApi.setClientIp). */
interface IpOverrides {
  all?: string;
  byToken: Map<string, string>;
}

function remoteIp(request: IncomingMessage): string {
  const address = request.socket.remoteAddress ?? "127.0.0.1";
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}

function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    result[key] = values.length === 1 ? values[0] : values;
  }
  return result;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("Malformed JSON in request body", 6007);
  }
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
  response.end(JSON.stringify(answer.body));
}

function errorAnswer(error: ApiError): Answer {
  const { chain, headers } = error.extra;
  const detail = { code: error.code, message: error.message };
  return {
    status: error.status,
    headers,
    body: {
      success: false,
      errors: [chain ? { ...detail, error_chain: chain } : detail],
      messages: [],
      result: null,
    },
  };
}

/**
 * The rate limit bucket a caller counts in: the user's for the bootstrap token
 * and user tokens, its own for an account token (limits.ts).
 */
function rateBucket(caller: Caller): string {
  if (caller.kind === "token" && caller.token.owner.kind === "account")
    return `account token ${caller.token.id}`;
  return "user";
}

/** Finds the route and fills in what the log says about the request. */
function locate(request: IncomingMessage, url: URL, entry: RecordedRequest) {
  const inside = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
  const path = inside ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
  const match = inside ? matchRoute(entry.method, path) : { params: {}, wrongMethod: false };
  Object.assign(entry, {
    path,
    query: queryRecord(url.searchParams),
    kind: match.route?.kind ?? "unknown",
    zoneId: match.params.zoneId,
  });
  if (match.route) return { route: match.route, params: match.params };
  if (match.wrongMethod)
    throw new ApiError(
      405,
      10000,
      `${request.method} method not allowed for the api_token authentication scheme`,
    );
  throw new ApiError(404, 7000, "No route for that URI");
}

/** What a request meets besides the state: client IP overrides, the rate limit, faults. */
interface Surroundings {
  overrides: IpOverrides;
  limiter: RateLimiter;
  faults: FaultInjector;
}

/**
 * Injected faults come first, as a failing edge would answer before the API;
 * then authentication, the rate limit of the authenticated caller, the route.
 */
async function handle(
  state: CloudflareState,
  around: Surroundings,
  request: IncomingMessage,
  entry: RecordedRequest,
): Promise<Answer | "drop"> {
  const url = new URL(request.url ?? "/", "http://stand-in");
  const header = request.headers.authorization;
  const presented = presentedToken(header);
  entry.tokenId = presented.kind === "missing" ? "none" : "unknown";
  if (presented.kind === "value")
    entry.tokenId = state.tokenIdForValue(presented.value) ?? "unknown";
  const { route, params } = locate(request, url, entry);
  const fault = around.faults.next(route.kind);
  entry.fault = fault?.type;
  if (fault?.type === "drop") return "drop";
  if (fault?.type === "slow") await sleep(fault.delayMs);
  if (fault?.type === "rateLimited")
    throw tooManyRequests(
      fault.retryAfterSeconds * 1000,
      around.limiter.limit || CLOUDFLARE_RATE_LIMIT,
    );
  // No recorded body of a Cloudflare 5xx was found, so the envelope carries no
  // error. Clients act on the status: cloudflare-go v7.9.0 retries it
  // (internal/requestconfig/requestconfig.go:273-277), external-dns 0.22.0
  // makes it a soft error (provider/cloudflare/cloudflare.go:244-247).
  if (fault?.type === "status")
    return {
      status: fault.status,
      body: { success: false, errors: [], messages: [], result: null },
    };
  const text = await readText(request);
  const overrides = around.overrides;
  const clientIp = overrides.byToken.get(entry.tokenId) ?? overrides.all ?? remoteIp(request);
  const caller = authenticate(state, header, clientIp, route.kind);
  around.limiter.take(rateBucket(caller));
  const touched: string[] = [];
  let reply: Reply;
  try {
    reply = route.handle({
      state,
      caller,
      params,
      query: url.searchParams,
      body: parseBody(text),
      touched,
    });
  } finally {
    if (DNS_WRITE_KINDS.has(route.kind)) entry.recordNames = touched;
  }
  if (fault?.type === "lateAnswer") await sleep(fault.delayMs);
  return {
    status: 200,
    body: {
      success: true,
      errors: [],
      messages: reply.messages ?? [],
      result: reply.result,
      ...(reply.resultInfo && { result_info: reply.resultInfo }),
    },
  };
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

export interface CloudflareApi {
  /** Base URL for clients, `http://127.0.0.1:PORT/client/v4`; also external-dns's CLOUDFLARE_BASE_URL. */
  readonly url: string;
  /** Value for `cloudflare:baseUrl` (the same URL: the Go SDK resolves paths below it). */
  readonly baseUrlForProvider: string;
  /** The bootstrap token's value (for `cloudflare:apiToken`). A getter, so printing the object hides it. */
  readonly bootstrapToken: string;
  readonly state: CloudflareState;
  readonly requests: RequestLog;
  /**
   * Makes requests count as coming from `ip` (for `condition.request_ip`):
   * those with the token `tokenId` (a minted token's id, or "bootstrap"), or
   * all when no id is given. `undefined` goes back to the socket's address
   * (127.0.0.1). A per-token IP wins over the one for all.
   */
  setClientIp(ip: string | undefined, tokenId?: string): void;
  /**
   * Revokes token `id` as Cloudflare revokes a token it finds exposed: the
   * token stays, with status "revoked (exposed)"; every route but verify
   * refuses it, verify reports the status.
   */
  revokeToken(id: string): TokenView;
  /** Deletes token `id` by hand, as in the dashboard; false if there was none. */
  deleteToken(id: string): boolean;
  /**
   * Cloudflare's rate limit: `requests` per `windowMs` per user (the bootstrap
   * and user tokens together) and per account token, then 429 with
   * `retry-after` for a whole window. Unset fields take Cloudflare's (1,200 per
   * 300,000 ms); `false` turns it off. Counts start again.
   */
  setRateLimit(limit: Partial<RateLimit> | false): void;
  /**
   * Answers requests of some kinds with a 5xx, a 429, late or not at all
   * (faults.ts). Faulted requests are logged with `fault` set
   * (`requests.faults()` counts them).
   */
  injectFault(rule: FaultRule): InjectedFault;
  /** Removes every injected fault. */
  clearFaults(): void;
  /** Serves HTTP on a connection made elsewhere (a TLS socket from cloudflareProxy.ts). */
  acceptConnection(socket: Socket): void;
  close(): Promise<void>;
}

class RunningApi implements CloudflareApi {
  readonly requests = new RequestLog();
  readonly #bootstrap: string;
  readonly #around: Surroundings;
  #server?: Server;
  #url = "";

  constructor(
    readonly state: CloudflareState,
    bootstrap: string,
    options: CloudflareApiOptions,
  ) {
    this.#bootstrap = bootstrap;
    this.#around = {
      overrides: { all: options.clientIp, byToken: new Map() },
      limiter: new RateLimiter(options.rateLimit),
      faults: new FaultInjector(),
    };
  }

  get url(): string {
    return this.#url;
  }

  get baseUrlForProvider(): string {
    return this.#url;
  }

  get bootstrapToken(): string {
    return this.#bootstrap;
  }

  setClientIp(ip: string | undefined, tokenId?: string): void {
    const overrides = this.#around.overrides;
    if (tokenId === undefined) overrides.all = ip;
    else if (ip === undefined) overrides.byToken.delete(tokenId);
    else overrides.byToken.set(tokenId, ip);
  }

  revokeToken(id: string): TokenView {
    return this.state.revokeToken(id);
  }

  deleteToken(id: string): boolean {
    return this.state.deleteToken(id);
  }

  setRateLimit(limit: Partial<RateLimit> | false): void {
    this.#around.limiter.set(limit);
  }

  injectFault(rule: FaultRule): InjectedFault {
    return this.#around.faults.add(rule);
  }

  clearFaults(): void {
    this.#around.faults.clear();
  }

  acceptConnection(socket: Socket): void {
    if (!this.#server) throw new Error("the Cloudflare stand-in is not listening");
    this.#server.emit("connection", socket);
  }

  async listen(): Promise<void> {
    const server = createServer((request, response) => this.#serve(request, response));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${API_PREFIX}`;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const entry: RecordedRequest = {
      method: request.method ?? "GET",
      path: "",
      query: {},
      kind: "unknown",
      tokenId: "none",
      status: 0,
      time: Date.now(),
    };
    let answer: Answer | "drop";
    try {
      answer = await handle(this.state, this.#around, request, entry);
    } catch (error) {
      answer = errorAnswer(
        error instanceof ApiError ? error : new ApiError(500, 10001, String(error)),
      );
    }
    entry.status = answer === "drop" ? 0 : answer.status;
    this.requests.add(entry);
    if (answer === "drop") request.socket.destroy();
    else send(response, answer);
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }
}

/** Starts the stand-in on 127.0.0.1 with a free port. */
export async function startCloudflareApi(
  options: CloudflareApiOptions = {},
): Promise<CloudflareApi> {
  const bootstrap = options.bootstrapToken ?? tokenValue();
  const api = new RunningApi(new CloudflareState(options, bootstrap), bootstrap, options);
  await api.listen();
  return api;
}
