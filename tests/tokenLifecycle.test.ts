/**
 * Token expiry and rotation as pure functions of the config, the stack and the
 * date: nothing changes within a rotation period, everything at its end.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_ROTATION_MARGIN_DAYS,
  rotationMarginDays,
  stackOffsetDays,
  tokenLifecycle,
  tokenSpec,
} from "../components/tokenLifecycle";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-25T17:00:00Z");

function rotation(days: number, now: Date, stack = "production") {
  const lifecycle = tokenLifecycle({ rotationDays: days }, stack, now);
  if (!lifecycle.rotation || !lifecycle.expiresOn) throw new Error("no rotation");
  return { ...lifecycle.rotation, expiresOn: lifecycle.expiresOn };
}

describe("rotation periods", () => {
  it("are rotationDays long, start at midnight UTC, and contain now", () => {
    const { periodStart, nextRotation } = rotation(90, NOW);
    expect(Date.parse(nextRotation) - Date.parse(periodStart)).toBe(90 * DAY);
    expect(periodStart).toMatch(/T00:00:00Z$/);
    expect(Date.parse(periodStart)).toBeLessThanOrEqual(NOW.getTime());
    expect(Date.parse(nextRotation)).toBeGreaterThan(NOW.getTime());
  });

  it("give the same token to every instant of a period: no change when nothing is due", () => {
    const current = rotation(90, NOW);
    const start = new Date(current.periodStart);
    const lastMoment = new Date(Date.parse(current.nextRotation) - 1);
    for (const instant of [start, NOW, lastMoment]) expect(rotation(90, instant)).toEqual(current);
    expect(tokenSpec(settings, "production", lastMoment)).toEqual(
      tokenSpec(settings, "production", start),
    );
  });

  it("move on exactly at the rotation time", () => {
    const current = rotation(90, NOW);
    const next = rotation(90, new Date(current.nextRotation));
    expect(next.periodStart).toBe(current.nextRotation);
    expect(Date.parse(next.expiresOn) - Date.parse(current.expiresOn)).toBe(90 * DAY);
    expect(tokenSpec(settings, "production", new Date(current.nextRotation)).name).not.toBe(
      tokenSpec(settings, "production", NOW).name,
    );
  });

  it("are shifted per stack, so clusters do not all rotate on one day", () => {
    const offsets = ["production", "staging", "eu-1", "us-1", "dev"].map((stack) =>
      stackOffsetDays(stack, 90),
    );
    for (const offset of offsets) expect(offset).toBeGreaterThanOrEqual(0);
    for (const offset of offsets) expect(offset).toBeLessThan(90);
    expect(new Set(offsets).size).toBeGreaterThan(1);
    expect(rotation(90, NOW, "production").periodStart).not.toBe(
      rotation(90, NOW, "staging").periodStart,
    );
  });

  it("follow tokenRotationOffsetDays instead of the stack's own shift: periods start on days ≡ offset", () => {
    for (const offsetDays of [0, 1, 89]) {
      const { periodStart } = tokenLifecycle({ rotationDays: 90, offsetDays }, "production", NOW)
        .rotation ?? { periodStart: "" };
      expect((Date.parse(periodStart) / DAY) % 90).toBe(offsetDays);
    }
    const own = stackOffsetDays("production", 90);
    expect(tokenLifecycle({ rotationDays: 90, offsetDays: own }, "production", NOW)).toEqual(
      tokenLifecycle({ rotationDays: 90 }, "production", NOW),
    );
  });
});

describe("expiry", () => {
  it("is a safe margin after the planned rotation: two weeks, or one period if shorter", () => {
    for (const [days, margin] of [
      [90, 14],
      [30, 14],
      [14, 14],
      [7, 7],
      [1, 1],
    ]) {
      const { nextRotation, expiresOn } = rotation(days, NOW);
      expect(Date.parse(expiresOn) - Date.parse(nextRotation), `${days} days`).toBe(margin * DAY);
      expect(rotationMarginDays(days)).toBe(margin);
    }
    expect(MAX_ROTATION_MARGIN_DAYS).toBe(14);
  });

  it("is the configured fixed expiry when rotation is off", () => {
    expect(tokenLifecycle({ expiresOn: "2027-06-30T00:00:00Z" }, "production", NOW)).toEqual({
      expiresOn: "2027-06-30T00:00:00Z",
    });
  });

  it("is unset when neither is configured", () => {
    expect(tokenLifecycle({}, "production", NOW)).toEqual({});
  });
});

const settings = {
  txtOwnerId: "hetzner-production",
  tokenRotationDays: 90,
  tokenOwner: "user" as const,
};

describe("tokenSpec", () => {
  it("names the stack, the owner ID and the rotation period", () => {
    const spec = tokenSpec(settings, "production", NOW);
    const { periodStart, nextRotation, expiresOn } = rotation(90, NOW);
    expect(spec).toEqual({
      name: `external-dns production (owner hetzner-production, rotated ${periodStart.slice(0, 10)})`,
      expiresOn,
      nextRotation,
      accountId: undefined,
    });
  });

  it("without rotation: a stable name and no expiry", () => {
    const spec = tokenSpec({ ...settings, tokenRotationDays: undefined }, "staging", NOW);
    expect(spec).toEqual({ name: "external-dns staging (owner hetzner-production)" });
  });

  it("carries the account only for account-owned tokens", () => {
    const accountId = "0123456789abcdef0123456789abcdef";
    expect(
      tokenSpec({ ...settings, tokenOwner: "account", accountId }, "production", NOW).accountId,
    ).toBe(accountId);
    expect(
      tokenSpec({ ...settings, tokenOwner: "user", accountId }, "production", NOW).accountId,
    ).toBeUndefined();
  });
});
