/** The HTTP side: authentication, answers in Cloudflare's envelope, and the running server. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { checkTokenUsable } from "./auth";
import type { Caller, Reply } from "./context";
import { ApiError, badRequest, timestamp, tokenValue } from "./errors";
import { API_PREFIX } from "./model";
import { DNS_WRITE_KINDS, type RecordedRequest, type RequestKind, RequestLog } from "./requestLog";
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

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
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

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function errorBody(error: ApiError) {
  return {
    success: false,
    errors: [{ code: error.code, message: error.message }],
    messages: [],
    result: null,
  };
}

/** Resolves the caller, or throws Cloudflare's answer for a missing, unknown or unusable token. */
function authenticate(
  state: CloudflareState,
  value: string | undefined,
  clientIp: string,
  kind: RequestKind,
): Caller {
  if (value === undefined)
    throw new ApiError(
      400,
      6003,
      "Invalid request headers: missing or malformed Authorization header",
    );
  const id = state.tokenIdForValue(value);
  if (id === "bootstrap") return { kind: "bootstrap" };
  const token = id && state.storedToken(id);
  if (!token) throw new ApiError(401, 1000, "Invalid API Token");
  checkTokenUsable(state, token, clientIp, kind);
  token.lastUsedOn = timestamp(state.now());
  return { kind: "token", token };
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

async function handle(
  state: CloudflareState,
  overrides: IpOverrides,
  request: IncomingMessage,
  entry: RecordedRequest,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(request.url ?? "/", "http://stand-in");
  const value = bearerToken(request);
  entry.tokenId = value === undefined ? "none" : (state.tokenIdForValue(value) ?? "unknown");
  const { route, params } = locate(request, url, entry);
  const text = await readText(request);
  const clientIp = overrides.byToken.get(entry.tokenId) ?? overrides.all ?? remoteIp(request);
  const caller = authenticate(state, value, clientIp, route.kind);
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
  /** Serves HTTP on a connection made elsewhere (a TLS socket from cloudflareProxy.ts). */
  acceptConnection(socket: Socket): void;
  close(): Promise<void>;
}

class RunningApi implements CloudflareApi {
  readonly requests = new RequestLog();
  readonly #bootstrap: string;
  readonly #overrides: IpOverrides = { byToken: new Map() };
  #server?: Server;
  #url = "";

  constructor(
    readonly state: CloudflareState,
    bootstrap: string,
    clientIp: string | undefined,
  ) {
    this.#bootstrap = bootstrap;
    this.#overrides.all = clientIp;
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
    if (tokenId === undefined) this.#overrides.all = ip;
    else if (ip === undefined) this.#overrides.byToken.delete(tokenId);
    else this.#overrides.byToken.set(tokenId, ip);
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
    let answer: { status: number; body: unknown };
    try {
      answer = await handle(this.state, this.#overrides, request, entry);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 10001, String(error));
      answer = { status: apiError.status, body: errorBody(apiError) };
    }
    entry.status = answer.status;
    this.requests.add(entry);
    send(response, answer.status, answer.body);
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
  const api = new RunningApi(new CloudflareState(options, bootstrap), bootstrap, options.clientIp);
  await api.listen();
  return api;
}
