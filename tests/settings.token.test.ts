/**
 * Validation of the token lifecycle keys: tokenRotationDays, tokenExpiresOn,
 * tokenOwner and accountId. "Now" is fixed so dates are checked exactly.
 */
import { describe, expect, it } from "vitest";
import { loadSettings } from "../stacks/settings";

const NOW = new Date("2026-11-25T12:00:00Z");
const ACCOUNT_ID = "0123456789abcdef0123456789abcdef";
const base = {
  zones: JSON.stringify(["example.com"]),
  txtOwnerId: "test-cluster",
  sopsAgeRecipients: JSON.stringify([
    "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc",
  ]),
};

function load(overrides: Record<string, string>) {
  return loadSettings({ ...base, ...overrides }, NOW);
}

function errorsFor(overrides: Record<string, string>): string[] {
  const result = load(overrides);
  return result.kind === "invalid" ? result.errors : [];
}

describe("token lifecycle keys: valid values", () => {
  it("defaults to a user-owned token that neither rotates nor expires", () => {
    const result = load({});
    expect(result.kind).toBe("enabled");
    if (result.kind !== "enabled") return;
    expect(result.settings).toMatchObject({ tokenOwner: "user" });
    expect(result.settings.tokenRotationDays).toBeUndefined();
    expect(result.settings.tokenExpiresOn).toBeUndefined();
  });

  it.each<Record<string, string>>([
    { tokenRotationDays: "90" },
    { tokenRotationDays: "1" },
    { tokenRotationDays: "365" },
    { tokenExpiresOn: "2027-06-30T00:00:00Z" },
    { tokenExpiresOn: "2026-11-26T12:00:00+01:00" },
    { tokenExpiresOn: "2031-11-25T12:00:00Z" },
    { tokenOwner: "account", accountId: ACCOUNT_ID },
  ])("accepts %j", (overrides) => {
    expect(load(overrides).kind).toBe("enabled");
  });
});

describe("token lifecycle keys: bad values", () => {
  it.each([
    ["tokenRotationDays", "0", "must be a whole number of days from 1 to 365; given 0"],
    ["tokenRotationDays", "366", "must be a whole number of days from 1 to 365; given 366"],
    ["tokenRotationDays", "1.5", "must be a whole number of days from 1 to 365; given 1.5"],
    ["tokenRotationDays", "ninety", 'must be a whole number of days from 1 to 365; given "ninety"'],
    [
      "tokenExpiresOn",
      "tomorrow",
      'must be an RFC 3339 time such as 2027-06-30T00:00:00Z; given "tomorrow"',
    ],
    ["tokenExpiresOn", "2027-13-01T00:00:00Z", "must be an RFC 3339 time"],
    ["tokenExpiresOn", "2027-02-30T00:00:00Z", "must be an RFC 3339 time"],
    ["tokenExpiresOn", "2027-06-30", "must be an RFC 3339 time"],
    ["tokenExpiresOn", "2027-06-30T00:00:00", "must be an RFC 3339 time"],
    [
      "tokenExpiresOn",
      "2026-11-25T11:59:59Z",
      'lies in the past; given "2026-11-25T11:59:59Z"; allowed: a time after 2026-11-25T12:00:00.000Z',
    ],
    [
      "tokenExpiresOn",
      "2031-11-25T12:00:01Z",
      'lies more than 5 years ahead; given "2031-11-25T12:00:01Z"; allowed: up to 2031-11-25T12:00:00.000Z',
    ],
    ["tokenOwner", "team", 'must be one of: user, account; given "team"'],
    [
      "accountId",
      "acme",
      'must be a Cloudflare account ID: 32 lowercase hex characters; given "acme"',
    ],
  ])("rejects %s = %s", (key, value, message) => {
    const extra: Record<string, string> = key === "accountId" ? { tokenOwner: "account" } : {};
    expect(errorsFor({ [key]: value, ...extra })).toEqual([
      expect.stringContaining(`external-dns:${key}: ${message}`),
    ]);
  });

  it("rejects a fixed expiry together with rotation", () => {
    expect(errorsFor({ tokenRotationDays: "90", tokenExpiresOn: "2027-06-30T00:00:00Z" })).toEqual([
      expect.stringMatching(
        /^external-dns:tokenExpiresOn: cannot be combined with external-dns:tokenRotationDays/,
      ),
    ]);
  });

  it("requires accountId for an account-owned token", () => {
    expect(errorsFor({ tokenOwner: "account" })).toEqual([
      'external-dns:accountId: required when external-dns:tokenOwner is "account"',
    ]);
  });

  it("warns that accountId is ignored for a user-owned token", () => {
    const result = load({ accountId: ACCOUNT_ID });
    expect(result.kind).toBe("enabled");
    expect(result.warnings).toEqual([
      expect.stringMatching(/^external-dns:accountId: is ignored while/),
    ]);
  });
});
