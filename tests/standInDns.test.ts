/**
 * The e2e suite's DNS server answers from the Cloudflare stand-in's live
 * records, asked through verify's own resolver (Node's c-ares).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CloudflareApi,
  DEFAULT_ZONES,
  startCloudflareApi,
} from "../e2e/support/cloudflareApi";
import { type StandInDnsServer, startStandInDns, txtStrings } from "../e2e/support/dnsServer";
import { newResolver } from "../verify/dns";

const [COM] = DEFAULT_ZONES;
let api: CloudflareApi;
let dns: StandInDnsServer;

beforeAll(async () => {
  api = await startCloudflareApi();
  dns = await startStandInDns(api.state);
  api.state.seedRecords(COM.id, [
    { type: "A", name: "web", content: "203.0.113.10" },
    { type: "AAAA", name: "web", content: "2001:db8::10" },
    { type: "TXT", name: "a-web", content: '"heritage=external-dns,external-dns/owner=me"' },
    { type: "CNAME", name: "alias", content: "web.example.com" },
  ]);
});

afterAll(async () => {
  await dns.close();
  await api.close();
});

describe("stand-in DNS server", () => {
  it("answers A, AAAA and TXT from the stand-in's records, quotes removed", async () => {
    const resolver = newResolver(dns.address);
    expect(await resolver.resolve4("web.example.com")).toEqual(["203.0.113.10"]);
    expect(await resolver.resolve6("web.example.com")).toEqual(["2001:db8::10"]);
    expect(await resolver.resolveTxt("a-web.example.com")).toEqual([
      ["heritage=external-dns,external-dns/owner=me"],
    ]);
  });

  it("follows a CNAME inside the zone", async () => {
    const resolver = newResolver(dns.address);
    expect(await resolver.resolveCname("alias.example.com")).toEqual(["web.example.com"]);
    expect(await resolver.resolve4("alias.example.com")).toEqual(["203.0.113.10"]);
  });

  it("sees a record as soon as it is written, and NXDOMAIN once it is gone", async () => {
    const resolver = newResolver(dns.address);
    await expect(resolver.resolve4("late.example.com")).rejects.toMatchObject({
      code: "ENOTFOUND",
    });
    const [late] = api.state.seedRecords(COM.id, [
      { type: "A", name: "late", content: "203.0.113.11" },
    ]);
    expect(await resolver.resolve4("late.example.com")).toEqual(["203.0.113.11"]);
    api.state.replaceRecords(
      COM.id,
      api.state.records(COM.id).filter((record) => record.id !== late.id),
    );
    await expect(resolver.resolve4("late.example.com")).rejects.toMatchObject({
      code: "ENOTFOUND",
    });
  });

  it("answers a name without the asked type with no data, and refuses names outside its zones", async () => {
    const resolver = newResolver(dns.address);
    await expect(resolver.resolveTxt("web.example.com")).rejects.toMatchObject({ code: "ENODATA" });
    await expect(resolver.resolve4("web.example.invalid")).rejects.toMatchObject({
      code: "EREFUSED",
    });
  });

  it("splits TXT content into its quoted strings", () => {
    expect(txtStrings('"a" "b\\"c"')).toEqual(["a", 'b"c']);
    expect(txtStrings("bare")).toEqual(["bare"]);
  });
});
