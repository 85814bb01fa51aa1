/** Cloudflare's error answer, record type sets, and small helpers (IDs, token values, timestamps). */
import { randomBytes } from "node:crypto";

// ---------------------------------------------------------------------------
// Errors and helpers
// ---------------------------------------------------------------------------

/** An error Cloudflare nests under another in `error_chain`. */
export interface ChainedError {
  code: number;
  message: string;
}

/** An answer in Cloudflare's error envelope. Codes follow what Cloudflare is seen to send. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly extra: { chain?: ChainedError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

export const PROXIABLE_TYPES = new Set(["A", "AAAA", "CNAME"]);
export const PRIORITY_TYPES = new Set(["MX", "SRV", "URI"]);
export const RECORD_TYPES = new Set([
  ...["A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS"],
  ...["OPENPGPKEY", "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI"],
]);

export function hexId(): string {
  return randomBytes(16).toString("hex");
}

/** 40 characters of [A-Za-z0-9_-], which the provider's api_token validator accepts. */
export function tokenValue(): string {
  return randomBytes(30).toString("base64url");
}

/** RFC 3339 with whole seconds, the way Cloudflare writes timestamps. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function badRequest(message: string, code = 1001): ApiError {
  return new ApiError(400, code, message);
}
