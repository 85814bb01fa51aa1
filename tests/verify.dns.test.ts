/**
 * The record checks against a real DNS server (dnsmasq on loopback) serving a
 * zone with correct, missing and wrongly-owned records. Nothing leaves the machine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managesHostname } from "../components/hostnameFilter";
import { type Expectations, recordChecks } from "../verify/checks";
import { newResolver, resolveHostnames } from "../verify/dns";
import { type DnsServer, startDnsServer } from "./support/dnsServer";
import { requireTools } from "./support/tools";

const OWNER =
  "heritage=external-dns,external-dns/owner=hetzner-production,external-dns/resource=ingress/shop/shop";
const OTHER_OWNER =
  "heritage=external-dns,external-dns/owner=hetzner-staging,external-dns/resource=ingress/shop/api";

const expected: Expectations = {
  namespace: "external-dns",
  containerArgs: [],
  dryRun: false,
  policy: "sync",
  txtOwnerId: "hetzner-production",
  txtPrefix: "externaldns-%{record_type}.",
  domainFilters: ["example.com"],
  excludeDomains: ["internal.example.com"],
  requiredCrds: [],
  externalDnsVersion: "0.22.0",
  tokenAllowedCidrs: [],
};

const declared = [
  { hostname: "shop.example.com", source: "ingress/shop/shop" },
  { hostname: "www.example.com", source: "ingress/shop/shop" },
  { hostname: "api.example.com", source: "service/shop/api" },
  { hostname: "missing.example.com", source: "ingress/shop/new" },
  { hostname: "handmade.example.com", source: "ingress/shop/handmade" },
  { hostname: "half.example.com", source: "service/shop/half" },
  { hostname: "admin.internal.example.com", source: "ingress/shop/admin" },
  { hostname: "blog.example.net", source: "ingress/blog/blog" },
];

const toolsPresent = requireTools(["dnsmasq"]);
let server: DnsServer | undefined;

beforeAll(async () => {
  if (!toolsPresent) return;
  server = await startDnsServer({
    zones: ["example.com"],
    a: [
      ["shop.example.com", "192.0.2.10"],
      ["api.example.com", "192.0.2.20"],
      ["handmade.example.com", "192.0.2.30"],
      ["shop.example.com", "2001:db8::10"],
      ["half.example.com", "192.0.2.40"],
    ],
    cname: [["www.example.com", "shop.example.com"]],
    txt: [
      ["externaldns-a.shop.example.com", OWNER],
      ["externaldns-aaaa.shop.example.com", OWNER],
      ["externaldns-cname.www.example.com", OWNER],
      ["externaldns-a.api.example.com", OTHER_OWNER],
      ["externaldns-a.half.example.com", OWNER],
      ["externaldns-aaaa.half.example.com", OWNER],
    ],
  });
});
afterAll(() => server?.stop());

async function check() {
  if (!server) throw new Error("no DNS server");
  const resolved = await resolveHostnames(
    newResolver(server.address),
    declared
      .map((entry) => entry.hostname)
      .filter((hostname) => managesHostname(expected, hostname)),
    expected.txtPrefix,
  );
  return { resolved, results: recordChecks(declared, resolved, expected) };
}

describe("record checks against a real DNS server", () => {
  it("fail a record deleted outside external-dns while its ownership record stays", async () => {
    const { results } = await check();
    const half = results.find((result) => result.check === "half.example.com");
    expect(half).toMatchObject({
      status: "fail",
      detail:
        "no AAAA record, though its ownership record externaldns-aaaa.half.example.com is there (A resolves)",
    });
    expect(half?.hint).toMatch(/under sync it makes it again on its next reconcile/);
  });

  it("resolve A, AAAA and CNAME records and their ownership TXT records", async () => {
    const { resolved } = await check();
    expect(resolved.get("shop.example.com")?.records).toEqual({
      A: ["192.0.2.10"],
      AAAA: ["2001:db8::10"],
    });
    expect(resolved.get("www.example.com")?.records).toEqual({ CNAME: ["shop.example.com"] });
    expect(resolved.get("shop.example.com")?.txt["externaldns-a.shop.example.com"]).toEqual([
      OWNER,
    ]);
    expect(resolved.get("missing.example.com")?.records).toEqual({ A: [], AAAA: [] });
  });

  it("pass records owned by this cluster, for every record type found", async () => {
    const { results } = await check();
    expect(results.find((result) => result.check === "shop.example.com")).toMatchObject({
      status: "pass",
      detail: "A+AAAA owned by hetzner-production",
    });
    expect(results.find((result) => result.check === "www.example.com")).toMatchObject({
      status: "pass",
      detail: "CNAME owned by hetzner-production",
    });
  });

  it("fail a record owned by another cluster, naming the owner", async () => {
    const { results } = await check();
    const api = results.find((result) => result.check === "api.example.com");
    expect(api).toMatchObject({
      status: "fail",
      detail: "A is owned by hetzner-staging, not hetzner-production",
    });
    expect(api?.hint).toContain("its own txtOwnerId");
  });

  it("fail a missing record and a record without an ownership TXT record", async () => {
    const { results } = await check();
    expect(results.find((result) => result.check === "missing.example.com")).toMatchObject({
      status: "fail",
      detail: "no A, AAAA or CNAME record (declared by ingress/shop/new)",
    });
    expect(results.find((result) => result.check === "handmade.example.com")).toMatchObject({
      status: "fail",
      detail: "A resolves but has no ownership TXT record externaldns-a.handmade.example.com",
    });
  });

  it("fail, with a hint, where the server cannot answer", async () => {
    if (!server) throw new Error("no DNS server");
    const resolved = await resolveHostnames(
      newResolver(server.address),
      ["blog.example.net"],
      expected.txtPrefix,
    );
    expect(resolved.get("blog.example.net")?.error).toBe("EREFUSED");
    const [result] = recordChecks(
      [{ hostname: "blog.example.net", source: "ingress/blog/blog" }],
      resolved,
      {
        ...expected,
        domainFilters: ["example.net"],
      },
    );
    expect(result).toMatchObject({ status: "fail", detail: "DNS lookup failed (EREFUSED)" });
  });

  it("skip hostnames the filters do not admit", async () => {
    const { results } = await check();
    expect(results.map((result) => result.check)).toEqual([
      "shop.example.com",
      "www.example.com",
      "api.example.com",
      "missing.example.com",
      "handmade.example.com",
      "half.example.com",
    ]);
  });
});
