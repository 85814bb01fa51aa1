/**
 * When the Cloudflare token expires and when it is replaced.
 *
 * The rotation clock is the calendar, not state: rotation periods of
 * `rotationDays` days are laid on the UTC day count since 1970, shifted by a
 * per-stack offset so clusters do not all rotate on the same day. The token
 * belongs to the period `now` falls in, so every `pulumi up` within a period
 * computes the same name and expiry (no change), and the first `up` after the
 * period ends computes new ones (a replacement).
 */
import { createHash } from "node:crypto";
import type { Settings } from "../stacks/settings";

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the outputs say for a token that never expires, or never rotates. */
export const NEVER = "never";

/** The token stays valid this long after its planned rotation, at most: slack for a late `pulumi up`. */
export const MAX_ROTATION_MARGIN_DAYS = 14;

export interface TokenLifecycleOptions {
  /** Rotate every this many days. */
  rotationDays?: number;
  /** Days the calendar is shifted by; undefined: `stackOffsetDays` of the stack's name. */
  offsetDays?: number;
  /** A fixed expiry (RFC 3339), for manual rotation. */
  expiresOn?: string;
}

export interface TokenLifecycle {
  /** RFC 3339 expiry of the current token; undefined: it never expires. */
  expiresOn?: string;
  /** With rotation: when the current period began and when the next token is due. */
  rotation?: { periodStart: string; nextRotation: string };
}

/** The rotation margin for a period length: two weeks, or one period when periods are shorter. */
export function rotationMarginDays(rotationDays: number): number {
  return Math.min(MAX_ROTATION_MARGIN_DAYS, rotationDays);
}

/** Days (0..rotationDays-1) by which a stack's rotation schedule is shifted. */
export function stackOffsetDays(stack: string, rotationDays: number): number {
  return (
    Number.parseInt(createHash("sha256").update(stack).digest("hex").slice(0, 8), 16) % rotationDays
  );
}

export function tokenLifecycle(
  options: TokenLifecycleOptions,
  stack: string,
  now: Date,
): TokenLifecycle {
  if (options.expiresOn) return { expiresOn: options.expiresOn };
  if (!options.rotationDays) return {};
  const days = options.rotationDays;
  const today = Math.floor(now.getTime() / DAY_MS);
  const offset = options.offsetDays ?? stackOffsetDays(stack, days);
  const periodStart = offset + Math.floor((today - offset) / days) * days;
  const nextRotation = periodStart + days;
  return {
    expiresOn: isoDay(nextRotation + rotationMarginDays(days)),
    rotation: { periodStart: isoDay(periodStart), nextRotation: isoDay(nextRotation) },
  };
}

function isoDay(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().replace(".000Z", "Z");
}

/** Everything about the token that is decided before deploying it. */
export interface TokenSpec {
  /** Token name; carries the rotation period, so a new period means a new token. */
  name: string;
  /** RFC 3339 expiry; undefined: the token never expires. */
  expiresOn?: string;
  /** RFC 3339 time the next `pulumi up` mints a replacement; undefined without rotation. */
  nextRotation?: string;
  /** Account that owns the token; undefined: the bootstrap token's user owns it. */
  accountId?: string;
}

/** The settings that decide the token. */
export type TokenSettings = Pick<
  Settings,
  | "txtOwnerId"
  | "tokenRotationDays"
  | "tokenRotationOffsetDays"
  | "tokenExpiresOn"
  | "tokenOwner"
  | "accountId"
>;

/** The token for a stack as of `now`. */
export function tokenSpec(settings: TokenSettings, stack: string, now: Date): TokenSpec {
  const lifecycle = tokenLifecycle(
    {
      rotationDays: settings.tokenRotationDays,
      offsetDays: settings.tokenRotationOffsetDays,
      expiresOn: settings.tokenExpiresOn,
    },
    stack,
    now,
  );
  const rotated = lifecycle.rotation
    ? `, rotated ${lifecycle.rotation.periodStart.slice(0, 10)}`
    : "";
  return {
    name: `external-dns ${stack} (owner ${settings.txtOwnerId}${rotated})`,
    expiresOn: lifecycle.expiresOn,
    nextRotation: lifecycle.rotation?.nextRotation,
    accountId: settings.tokenOwner === "account" ? settings.accountId : undefined,
  };
}
