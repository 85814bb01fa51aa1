/**
 * What the stacks of a fleet add up to at Cloudflare: the API requests their
 * external-dns make, the tokens they hold, and the days their tokens rotate,
 * per Cloudflare identity (the user or account whose limits they count
 * against). Pure functions over validated settings.
 *
 * Cloudflare's limits (https://developers.cloudflare.com/fundamentals/api/reference/limits/):
 * 1,200 requests per 5 minutes per user, cumulative over the dashboard, API
 * keys and every token of that user, then 429 for the next 5 minutes; at most
 * 50 user-owned and 500 account-owned API tokens.
 */

import { tokenLifecycle } from "../components/tokenLifecycle";
import { CLOUDFLARE_RATE_LIMIT, estimateApiUsage } from "../plan/apiUsage";
import type { EnabledMember } from "../stacks/fleet";
import { goDurationSeconds } from "../stacks/formats";
import type { Settings } from "../stacks/settings";

/** Tokens one user, or one account, may hold. */
export const TOKEN_QUOTA = { user: 50, account: 500 } as const;

/** Above this share of a quota the fleet warns: the identity's other tokens need room too. */
export const TOKEN_WARNING_SHARE = 0.8;

/** How far ahead the calendar looks for rotations that fall on one day. */
export const CALENDAR_HORIZON_DAYS = 365;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The identity a stack's token counts against: `cloudflareIdentity` when set;
 * otherwise `account:<accountId>` for an account-owned token, and one user,
 * `user`, for every user-owned token of the project (the safe assumption: one
 * bootstrap token, one user).
 */
export function identityOf(settings: Settings): string {
  if (settings.cloudflareIdentity !== undefined) return settings.cloudflareIdentity;
  return settings.tokenOwner === "account" ? `account:${settings.accountId}` : "user";
}

/** One stack's steady and burst request rates, per 5 minutes. */
export interface StackApiUse {
  stack: string;
  requestsPerWindow: number;
  /** With triggerLoopOnEvent, under a steady stream of events; else the steady rate. */
  burstPerWindow: number;
}

/** A rotation, or expiry, of one stack's token. */
export interface TokenCalendarEntry {
  stack: string;
  identity: string;
  rotationDays?: number;
  /** YYYY-MM-DD of the next rotation, if the token rotates. */
  nextRotation?: string;
  /** RFC 3339 expiry, if the token expires. */
  expiresOn?: string;
  /** Every rotation day within the horizon. */
  rotationsWithinHorizon: string[];
}

/** Stacks of one identity that rotate on the same days. */
export interface RotationClash {
  identity: string;
  stacks: string[];
  days: string[];
  /** An offset for the last of the stacks that takes it off every other stack's rotation days, if one exists. */
  suggestion?: { stack: string; offsetDays: number };
}

export interface IdentityUse {
  identity: string;
  stacks: string[];
  requestsPerWindow: number;
  burstPerWindow: number;
  /** requestsPerWindow / Cloudflare's limit. */
  shareOfLimit: number;
  tokens: TokenCount[];
}

/** The tokens of one kind an identity's stacks hold. */
export interface TokenCount {
  owner: "user" | "account";
  /** One per enabled stack. */
  steady: number;
  /** On the busiest rotation day: each stack that rotates holds its old and its new token until its up ends. */
  peak: number;
  quota: number;
}

export function stackApiUse(member: EnabledMember, recordsPerZone: number): StackApiUse {
  const { settings } = member;
  const estimate = estimateApiUsage({
    zoneCount: settings.zones.length,
    recordsPerZone,
    recordsPerPage: settings.recordsPerPage,
    intervalSeconds: goDurationSeconds(settings.interval),
    triggerLoopOnEvent: settings.triggerLoopOnEvent,
  });
  return {
    stack: member.stack,
    requestsPerWindow: estimate.requestsPerWindow,
    burstPerWindow: estimate.eventBurstRequestsPerWindow ?? estimate.requestsPerWindow,
  };
}

/** The token's rotations and expiry as of `now`. */
export function calendarEntry(member: EnabledMember, now: Date): TokenCalendarEntry {
  const { settings } = member;
  const lifecycle = tokenLifecycle(
    {
      rotationDays: settings.tokenRotationDays,
      offsetDays: settings.tokenRotationOffsetDays,
      expiresOn: settings.tokenExpiresOn,
    },
    member.stack,
    now,
  );
  const next = lifecycle.rotation?.nextRotation;
  return {
    stack: member.stack,
    identity: identityOf(settings),
    rotationDays: settings.tokenRotationDays,
    nextRotation: next?.slice(0, 10),
    expiresOn: lifecycle.expiresOn,
    rotationsWithinHorizon:
      next && settings.tokenRotationDays
        ? rotationDays(Date.parse(next), settings.tokenRotationDays, now)
        : [],
  };
}

/** Rotation days from `first`, every `period` days, up to the horizon after `now`. */
function rotationDays(first: number, period: number, now: Date): string[] {
  const end = now.getTime() + CALENDAR_HORIZON_DAYS * DAY_MS;
  const days: string[] = [];
  for (let day = first; day <= end; day += period * DAY_MS)
    days.push(new Date(day).toISOString().slice(0, 10));
  return days;
}

/** Per identity: who rotates on a day another stack of it rotates on. */
export function rotationClashes(
  entries: readonly TokenCalendarEntry[],
  members: readonly EnabledMember[],
  now: Date,
): RotationClash[] {
  const clashes: RotationClash[] = [];
  for (const [identity, group] of groupBy(entries, (entry) => entry.identity)) {
    const byDay = new Map<string, string[]>();
    for (const entry of group)
      for (const day of entry.rotationsWithinHorizon)
        byDay.set(day, [...(byDay.get(day) ?? []), entry.stack]);
    const byStacks = new Map<string, { stacks: string[]; days: string[] }>();
    for (const [day, stacks] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
      if (stacks.length < 2) continue;
      const key = stacks.join(" ");
      const clash = byStacks.get(key) ?? { stacks, days: [] };
      clash.days.push(day);
      byStacks.set(key, clash);
    }
    for (const clash of byStacks.values())
      clashes.push({
        identity,
        ...clash,
        suggestion: freeOffset(clash.stacks, group, members, now),
      });
  }
  return clashes;
}

/**
 * The smallest rotation offset for the last of `stacks` whose rotation days,
 * within the horizon, fall on no other rotation day of its identity.
 */
function freeOffset(
  stacks: readonly string[],
  group: readonly TokenCalendarEntry[],
  members: readonly EnabledMember[],
  now: Date,
): RotationClash["suggestion"] {
  const stack = stacks[stacks.length - 1];
  const member = members.find((candidate) => candidate.stack === stack);
  const period = member?.settings.tokenRotationDays;
  if (!member || !period) return undefined;
  const taken = new Set(
    group.filter((entry) => entry.stack !== stack).flatMap((entry) => entry.rotationsWithinHorizon),
  );
  for (let offsetDays = 0; offsetDays < period; offsetDays++) {
    const shifted = {
      ...member,
      settings: { ...member.settings, tokenRotationOffsetDays: offsetDays },
    };
    if (!calendarEntry(shifted, now).rotationsWithinHorizon.some((day) => taken.has(day)))
      return { stack, offsetDays };
  }
  return undefined;
}

/** API use and tokens per identity. */
export function identityUse(
  members: readonly EnabledMember[],
  recordsPerZone: number,
  entries: readonly TokenCalendarEntry[],
): IdentityUse[] {
  return [...groupBy(members, (member) => identityOf(member.settings))].map(([identity, group]) => {
    const uses = group.map((member) => stackApiUse(member, recordsPerZone));
    const requestsPerWindow = sum(uses.map((use) => use.requestsPerWindow));
    return {
      identity,
      stacks: group.map((member) => member.stack),
      requestsPerWindow,
      burstPerWindow: sum(uses.map((use) => use.burstPerWindow)),
      shareOfLimit: requestsPerWindow / CLOUDFLARE_RATE_LIMIT.requests,
      tokens: (["user", "account"] as const).flatMap((owner) => {
        const owned = group.filter((member) => member.settings.tokenOwner === owner);
        if (owned.length === 0) return [];
        const stacks = new Set(owned.map((member) => member.stack));
        const rotatingPerDay = countBy(
          entries
            .filter((entry) => stacks.has(entry.stack))
            .flatMap((entry) => entry.rotationsWithinHorizon),
        );
        return [
          {
            owner,
            steady: owned.length,
            peak: owned.length + Math.max(0, ...rotatingPerDay.values()),
            quota: TOKEN_QUOTA[owner],
          },
        ];
      }),
    };
  });
}

function countBy(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
