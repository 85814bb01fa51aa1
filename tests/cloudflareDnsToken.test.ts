/**
 * The CloudflareDnsToken component under mocks, across the token's life:
 * nothing changes within a rotation period, a new period replaces the token
 * (new one first), and account-owned tokens get the same policy.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { CloudflareDnsToken } from "../components/cloudflareDnsToken";
import { type TokenSpec, tokenSpec } from "../components/tokenLifecycle";
import { installMocks, type MockRecord, resolved } from "./support/mocks";

const ACCOUNT_ID = "9a7806061c88ada191ed06f989cc3dac";
const ZONES = [{ name: "example.com", id: "023e105f4ecef8ad9ca31a8372d0c353" }];
const settings = {
  txtOwnerId: "hetzner-production",
  tokenRotationDays: 90,
  tokenOwner: "user" as const,
};

const periodStart = new Date("2026-10-25T00:00:00Z");
const specs: Record<string, TokenSpec> = {
  "first-up": tokenSpec(settings, "production", new Date("2026-11-25T12:00:00Z")),
  "later-up": tokenSpec(settings, "production", new Date("2027-01-22T23:59:59Z")),
  "after-rotation": tokenSpec(settings, "production", new Date("2027-01-23T00:00:00Z")),
  "account-owned": tokenSpec(
    { ...settings, tokenOwner: "account", accountId: ACCOUNT_ID },
    "production",
    new Date("2026-11-25T12:00:00Z"),
  ),
};

let record: MockRecord;
const tokens: Record<string, CloudflareDnsToken> = {};

beforeAll(async () => {
  record = await installMocks("production");
  for (const [name, spec] of Object.entries(specs)) {
    tokens[name] = new CloudflareDnsToken(name, {
      name: spec.name,
      zones: ZONES,
      allowedCidrs: [],
      expiresOn: spec.expiresOn,
      accountId: spec.accountId,
    });
  }
  await Promise.all(
    Object.values(tokens).map((token) => resolved(token.tokenId as pulumi.Output<string>)),
  );
});

function tokenInputs(name: string) {
  const token = record.resources.find(
    (resource) => resource.name === name && resource.type.startsWith("cloudflare:index/"),
  );
  if (!token) throw new Error(`no token ${name}`);
  return token;
}

describe("token lifecycle under mocks", () => {
  it("starts its period on the stack's schedule", () => {
    expect(specs["first-up"].name).toContain(`rotated ${periodStart.toISOString().slice(0, 10)}`);
  });

  it("gives identical token inputs to every `pulumi up` within a rotation period", () => {
    expect(tokenInputs("later-up").inputs).toEqual(tokenInputs("first-up").inputs);
  });

  it("changes the name and expiry when the rotation is due, which replaces the token", () => {
    const before = tokenInputs("first-up").inputs;
    const after = tokenInputs("after-rotation").inputs;
    expect(after.name).not.toBe(before.name);
    expect(after.expiresOn).toBe("2027-05-07T00:00:00Z");
    expect(before.expiresOn).toBe("2027-02-06T00:00:00Z");
    expect(after.policies).toEqual(before.policies);
  });

  it("mints an AccountToken in the account, with the same policy as a user token", () => {
    const account = tokenInputs("account-owned");
    expect(account.type).toBe("cloudflare:index/accountToken:AccountToken");
    expect(account.inputs.accountId).toBe(ACCOUNT_ID);
    expect(account.inputs.policies).toEqual(tokenInputs("first-up").inputs.policies);
    expect(tokenInputs("first-up").type).toBe("cloudflare:index/apiToken:ApiToken");
  });

  it("keeps the value a secret and exposes only the ID", async () => {
    expect(await resolved(tokens["first-up"].tokenId)).toMatch(/^[0-9a-f]{32}$/);
    expect(await pulumi.isSecret(tokens["first-up"].value)).toBe(true);
  });
});
