/**
 * The move command as `pulumi up` runs it: a real node process with the
 * command's own loader, its input (with the token) on stdin, against the
 * loopback Cloudflare stand-in and a token minted there for two zones.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UNTIL_MOVED } from "../commands/moveTxtOwnership";
import { MOVE_COMMAND, type MoveCommandInput } from "../components/txtOwnershipMove";
import {
  type CloudflareApi,
  DEFAULT_ZONES,
  startCloudflareApi,
} from "../e2e/support/cloudflareApi";
import { runStep } from "./support/cli";

const [COM, ORG] = DEFAULT_ZONES;
const OWNER = "vanixiets-cluster";
const ownership = (resource: string, owner = OWNER) =>
  `"heritage=external-dns,external-dns/owner=${owner},external-dns/resource=${resource}"`;

let api: CloudflareApi;
let token: string;

beforeEach(async () => {
  api = await startCloudflareApi();
  token = api.state.mintDnsToken("external-dns", [COM.id, ORG.id]).value;
});

afterEach(async () => {
  await api.close();
});

function input(overrides: Partial<MoveCommandInput> = {}): MoveCommandInput {
  return {
    ownerId: OWNER,
    fromPrefix: "externaldns-",
    toPrefix: "externaldns-%{record_type}.",
    token,
    baseUrl: api.url,
    zones: [
      { id: COM.id, name: COM.name },
      { id: ORG.id, name: ORG.name },
    ],
    ...overrides,
  };
}

/** Runs MOVE_COMMAND as the command provider does, with `stdin` as JSON (or as given). */
function runMove(stdin: MoveCommandInput | string) {
  return runStep(MOVE_COMMAND, stdin);
}

const names = (zoneId: string) =>
  api.state
    .records(zoneId)
    .map((record) => `${record.type} ${record.name}`)
    .sort();

describe("the move command", () => {
  it("moves each zone's ownership records in one batch, prints what it did, and never the token", async () => {
    api.state.seedRecords(COM.id, [
      { type: "A", name: "web", content: "192.0.2.10" },
      { type: "TXT", name: "externaldns-web", content: ownership("service/shop/web") },
      { type: "TXT", name: "externaldns-a-web", content: ownership("service/shop/web") },
      { type: "TXT", name: "externaldns-a-gone", content: ownership("service/shop/gone") },
    ]);
    api.state.seedRecords(ORG.id, [
      { type: "CNAME", name: "shop", content: "lb.example.net" },
      { type: "TXT", name: "externaldns-cname-shop", content: ownership("ingress/shop/shop") },
      { type: "TXT", name: "@", content: '"v=spf1 -all"' },
    ]);
    const result = await runMove(input());
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      "example.com: externaldns-a-web.example.com → externaldns-a.web.example.com",
      "example.com: externaldns-web.example.com deleted: external-dns 0.14's untyped form: the typed name beside it carries the ownership",
      "example.com: externaldns-a-gone.example.com deleted: owns no record (an orphan): nothing to carry over",
      "example.org: externaldns-cname-shop.example.org → externaldns-cname.shop.example.org",
      'Moved the ownership records of owner vanixiets-cluster, from prefix "externaldns-" to "externaldns-%{record_type}.": 2 written under the new name, 4 old name(s) deleted.',
    ]);
    expect(`${result.stdout}${result.stderr}`).not.toContain(token);
    expect(names(COM.id)).toEqual(["A web.example.com", "TXT externaldns-a.web.example.com"]);
    expect(names(ORG.id)).toEqual([
      "CNAME shop.example.org",
      "TXT example.org",
      "TXT externaldns-cname.shop.example.org",
    ]);
    expect(api.state.recordsNamed("externaldns-a.web.example.com", [COM.id])[0].content).toBe(
      ownership("service/shop/web"),
    );
    expect(api.requests.count({ kind: "dns_records.batch" })).toBe(2);
    expect(api.requests.count((request) => request.status >= 400)).toBe(0);

    const again = await runMove(input());
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      'Moved the ownership records of owner vanixiets-cluster, from prefix "externaldns-" to "externaldns-%{record_type}.": 0 written under the new name, 0 old name(s) deleted.\n',
    );
    expect(api.requests.count({ kind: "dns_records.batch" })).toBe(2);
  });

  it("changes nothing and exits 1 when a new name is taken, naming it", async () => {
    api.state.seedRecords(COM.id, [
      { type: "A", name: "web", content: "192.0.2.10" },
      { type: "TXT", name: "externaldns-a-web", content: ownership("service/shop/web") },
      { type: "TXT", name: "externaldns-a.web", content: ownership("service/x/web", "other") },
    ]);
    const before = names(COM.id);
    const result = await runMove(input());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Not moving the ownership records of owner vanixiets-cluster, from prefix "externaldns-" to "externaldns-%{record_type}.": nothing was changed.',
    );
    expect(result.stderr).toContain(
      "externaldns-a.web.example.com: the new name of externaldns-a-web.example.com (A web.example.com) is taken by a TXT record",
    );
    expect(names(COM.id)).toEqual(before);
    expect(api.requests.writes()).toBe(0);
  });

  it("exits 1 with Cloudflare's answer, not the token, when Cloudflare refuses it", async () => {
    const result = await runMove(input({ token: "x".repeat(40) }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Moving the ownership records failed: GET \/zones\/[0-9a-f]+\/dns_records: Cloudflare answered 40[13]/,
    );
    expect(result.stderr).toContain(UNTIL_MOVED);
    expect(result.stderr).not.toContain("x".repeat(40));
  });

  it("names tokenAllowedCidrs when the token is refused from this machine's address", async () => {
    const restricted = api.state.mintDnsToken("external-dns-restricted", [COM.id], {
      request_ip: { in: ["198.51.100.0/24"] },
    });
    const result = await runMove(
      input({ token: restricted.value, zones: [{ id: COM.id, name: COM.name }] }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot use the access token from location");
    expect(result.stderr).toContain(
      "The minted token works only from external-dns:tokenAllowedCidrs, and this step runs where pulumi up runs",
    );
  });

  it("does not quote its input when it cannot parse it", async () => {
    const result = await runMove(`{"token":"${token}",`);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "The input on stdin is not the JSON the TxtOwnershipMove step writes.\n",
    );
  });
});
