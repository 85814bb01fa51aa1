/** Faults a test injects: a 5xx, a 429, a slow answer or a dropped connection, per request kind. */
import type { RequestKind } from "./requestLog";

// ---------------------------------------------------------------------------
// Fault injection
// ---------------------------------------------------------------------------

/**
 * What a faulted request gets instead of its answer:
 * - `status`: that 5xx, in Cloudflare's error envelope with no error in it;
 * - `rateLimited`: Cloudflare's 429 with `retry-after: retryAfterSeconds`;
 * - `slow`: the normal answer, `delayMs` late (the request runs after the delay);
 * - `lateAnswer`: the request runs at once, its answer comes `delayMs` late
 *   (a client killed meanwhile never learns what was done);
 * - `drop`: the connection is destroyed without an answer. When that was a
 *   reused connection, Go's transport sends a GET again by itself (net/http
 *   transport.go:818-860, shouldRetryRequest, in /usr/local/go, go1.26), so
 *   a Go client may only see the fault if the next request is faulted too.
 */
export type Fault =
  | { type: "status"; status: number }
  | { type: "rateLimited"; retryAfterSeconds: number }
  | { type: "slow"; delayMs: number }
  | { type: "lateAnswer"; delayMs: number }
  | { type: "drop" };

export interface FaultRule {
  /** Request kinds (requestLog.ts) the rule applies to; default "all". */
  kinds?: RequestKind | readonly RequestKind[] | "all";
  fault: Fault;
  /** Matching requests answered normally first: 0 (default) faults the next one, 4 the 5th on. */
  skip?: number;
  /** How many matching requests to fault; default every one until removed. */
  times?: number;
}

export interface InjectedFault {
  readonly rule: FaultRule;
  /** Matching requests the rule has seen. */
  readonly seen: number;
  /** Requests it faulted. */
  readonly hits: number;
  remove(): void;
}

class Rule implements InjectedFault {
  seen = 0;
  hits = 0;

  constructor(
    readonly rule: FaultRule,
    readonly remove: () => void,
  ) {}

  matches(kind: RequestKind): boolean {
    const kinds = this.rule.kinds ?? "all";
    return kinds === "all" || kind === kinds || (Array.isArray(kinds) && kinds.includes(kind));
  }

  /** Whether the matching request just seen is to be faulted. */
  due(): boolean {
    return this.seen > (this.rule.skip ?? 0) && this.hits < (this.rule.times ?? Infinity);
  }
}

export class FaultInjector {
  #rules: Rule[] = [];

  add(rule: FaultRule): InjectedFault {
    const { fault } = rule;
    if (fault.type === "status" && !(fault.status >= 500 && fault.status <= 599))
      throw new Error(`an injected status must be a 5xx; given ${fault.status}`);
    const added: Rule = new Rule(structuredClone(rule), () => {
      this.#rules = this.#rules.filter((other) => other !== added);
    });
    this.#rules.push(added);
    return added;
  }

  clear(): void {
    this.#rules = [];
  }

  /** The fault for a request of `kind`: the first due rule's. Every matching rule counts it. */
  next(kind: RequestKind): Fault | undefined {
    let fault: Fault | undefined;
    for (const rule of this.#rules.filter((candidate) => candidate.matches(kind))) {
      rule.seen += 1;
      if (fault || !rule.due()) continue;
      rule.hits += 1;
      fault = rule.rule.fault;
    }
    return fault;
  }
}
