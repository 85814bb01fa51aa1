/** What a route handler is given (the caller, route parameters, query, body) and what it answers. */
import type { Page } from "./json";
import type { StoredToken } from "./model";
import type { CloudflareState } from "./state";

/** Who presented the token: the bootstrap token, or a minted one. */
export type Caller = { kind: "bootstrap" } | { kind: "token"; token: StoredToken };

export interface Context {
  state: CloudflareState;
  caller: Caller;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** Write handlers add the names of the records a request asks to change, before applying it. */
  touched: string[];
}

export interface Reply {
  result: unknown;
  resultInfo?: Page<unknown>["resultInfo"];
  messages?: { code: number; message: string; type: null }[];
}
