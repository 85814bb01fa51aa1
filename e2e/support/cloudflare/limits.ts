/** Cloudflare's global API rate limit, counted per user or per account token. */
import { ApiError } from "./errors";

// ---------------------------------------------------------------------------
// Rate limit
// ---------------------------------------------------------------------------

export interface RateLimit {
  requests: number;
  windowMs: number;
}

/**
 * 1,200 requests per five minutes per user, "cumulatively regardless of
 * whether the request is made via the dashboard, API key, or API token"; an
 * account-owned token has a limit of its own ("Client API per user/account
 * token: 1200/5 minutes").
 * https://developers.cloudflare.com/fundamentals/api/reference/limits/
 */
export const CLOUDFLARE_RATE_LIMIT: RateLimit = { requests: 1200, windowMs: 300_000 };

/**
 * Cloudflare's 429. Status and message: lablabs/cloudflare-exporter#74
 * ("HTTP status 429: More than 1200 requests per 300 seconds reached. Please
 * wait and consider throttling your request speed"); that issue does not show
 * the code. 10100 is the code octodns/octodns-cloudflare gives that message in
 * its tests (tests/test_octodns_provider_cloudflare.py:160-166), a client's
 * fixture rather than a recorded answer. `retry-after` is "the number of
 * seconds, rounded up, until more capacity is available", sent only when the
 * limit is exceeded (the limits page above).
 */
export function tooManyRequests(retryAfterMs: number, limit: RateLimit): ApiError {
  const seconds = Math.round(limit.windowMs / 1000);
  return new ApiError(
    429,
    10100,
    `More than ${limit.requests} requests per ${seconds} seconds reached. Please wait and consider throttling your request speed`,
    { headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } },
  );
}

interface Bucket {
  start: number;
  count: number;
  blockedUntil: number;
}

/**
 * Counts requests per bucket in fixed windows. Past the limit, "all API calls
 * for the next five minutes will be blocked" (the limits page): a full window
 * from the refused request. Runs on a monotonic clock, not the stand-in's
 * (which tests shift by days).
 */
export class RateLimiter {
  #limit: RateLimit | false = CLOUDFLARE_RATE_LIMIT;
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    limit: Partial<RateLimit> | false = {},
    readonly clock: () => number = () => performance.now(),
  ) {
    this.set(limit);
  }

  get limit(): RateLimit | false {
    return this.#limit;
  }

  /** A new limit (unset fields take Cloudflare's), or `false` for none; counts start again. */
  set(limit: Partial<RateLimit> | false): void {
    this.#limit = limit && { ...CLOUDFLARE_RATE_LIMIT, ...limit };
    this.#buckets.clear();
  }

  /** Counts a request against `bucket`; throws Cloudflare's 429 while it is over the limit. */
  take(bucket: string): void {
    const limit = this.#limit;
    if (!limit) return;
    const now = this.clock();
    const counted = this.#buckets.get(bucket) ?? { start: now, count: 0, blockedUntil: 0 };
    this.#buckets.set(bucket, counted);
    if (now < counted.blockedUntil) throw tooManyRequests(counted.blockedUntil - now, limit);
    if (now - counted.start >= limit.windowMs) Object.assign(counted, { start: now, count: 0 });
    counted.count += 1;
    if (counted.count <= limit.requests) return;
    counted.blockedUntil = now + limit.windowMs;
    throw tooManyRequests(limit.windowMs, limit);
  }
}
