/**
 * Ownership TXT record names, as external-dns 0.21's AffixNameMapper.ToTXTName
 * computes them for a prefix (registry/mapper/mapper.go).
 */
import { describe, expect, it } from "vitest";
import {
  MANAGED_RECORD_TYPES,
  ownershipRecords,
  ownershipTxtName,
  SAMPLE_HOST_LABEL,
  sampleHosts,
} from "../components/txtRecords";
import { DEFAULT_TXT_PREFIX } from "../stacks/options";

describe("ownershipTxtName", () => {
  describe('templated prefix with a trailing dot ("externaldns-%{record_type}.")', () => {
    const prefix = "externaldns-%{record_type}.";

    it.each([
      ["example.com", "A", "externaldns-a.example.com"],
      ["example.com", "AAAA", "externaldns-aaaa.example.com"],
      ["example.com", "CNAME", "externaldns-cname.example.com"],
      ["www.example.com", "A", "externaldns-a.www.example.com"],
      ["www.example.com", "CNAME", "externaldns-cname.www.example.com"],
      ["a.b.example.com", "AAAA", "externaldns-aaaa.a.b.example.com"],
    ])("(%s, %s) -> %s", (dnsName, recordType, expected) => {
      expect(ownershipTxtName(dnsName, recordType, prefix)).toBe(expected);
    });

    it("is the project's default prefix", () => {
      expect(DEFAULT_TXT_PREFIX).toBe(prefix);
    });
  });

  describe('plain prefix ("txt-"): the record type goes before the first label', () => {
    it.each([
      ["www.example.com", "A", "txt-a-www.example.com"],
      ["www.example.com", "CNAME", "txt-cname-www.example.com"],
      // The apex problem: "txt-a-example.com" lies outside the zone example.com.
      ["example.com", "A", "txt-a-example.com"],
    ])("(%s, %s) -> %s", (dnsName, recordType, expected) => {
      expect(ownershipTxtName(dnsName, recordType, "txt-")).toBe(expected);
    });
  });

  describe('templated prefix without a dot ("%{record_type}-")', () => {
    it.each([
      ["example.com", "A", "a-example.com"],
      ["foo.example.com", "AAAA", "aaaa-foo.example.com"],
      ["foo.example.com", "CNAME", "cname-foo.example.com"],
    ])("(%s, %s) -> %s", (dnsName, recordType, expected) => {
      expect(ownershipTxtName(dnsName, recordType, "%{record_type}-")).toBe(expected);
    });
  });

  describe('no prefix ("")', () => {
    it.each([
      ["www.example.com", "A", "a-www.example.com"],
      ["example.com", "CNAME", "cname-example.com"],
    ])("(%s, %s) -> %s", (dnsName, recordType, expected) => {
      expect(ownershipTxtName(dnsName, recordType, "")).toBe(expected);
    });
  });

  it("handles a single-label name like the mapper (no dot appended)", () => {
    expect(ownershipTxtName("localhost", "A", "txt-")).toBe("txt-a-localhost");
    expect(ownershipTxtName("localhost", "A", "externaldns-%{record_type}.")).toBe(
      "externaldns-a.localhost",
    );
  });

  it("lowercases the prefix, the template and the record type", () => {
    expect(ownershipTxtName("www.example.com", "CNAME", "EXTERNALDNS-%{RECORD_TYPE}.")).toBe(
      "externaldns-cname.www.example.com",
    );
    expect(ownershipTxtName("www.example.com", "Aaaa", "TXT-")).toBe("txt-aaaa-www.example.com");
    expect(ownershipTxtName("example.com", "a", "externaldns-%{record_type}.")).toBe(
      "externaldns-a.example.com",
    );
  });

  it("replaces every occurrence of the template", () => {
    expect(ownershipTxtName("www.example.com", "A", "%{record_type}-%{record_type}.")).toBe(
      "a-a.www.example.com",
    );
  });
});

/** The sample hosts of plain domain filters. */
const hostsOf = (domainFilters: string[]) => sampleHosts({ domainFilters, excludeDomains: [] }, []);

describe("sampleHosts", () => {
  const zones = ["example.com", "example.org"];

  it("samples the apex and www. of each domain filter, leaving out excluded hosts", () => {
    expect(hostsOf(["example.com", "apps.example.org"])).toEqual([
      "example.com",
      "www.example.com",
      "apps.example.org",
      "www.apps.example.org",
    ]);
    expect(
      sampleHosts({ domainFilters: ["example.com"], excludeDomains: ["www.example.com"] }, zones),
    ).toEqual(["example.com"]);
  });

  it("samples the zones when the regexes decide, keeping only what they admit", () => {
    const regexOnly = { domainFilters: [], excludeDomains: [] };
    expect(
      sampleHosts({ ...regexOnly, regexDomainFilter: "^www\\.example\\.(com|org)$" }, zones),
    ).toEqual(["www.example.com", "www.example.org"]);
    expect(sampleHosts({ ...regexOnly, regexDomainExclusion: "\\.org$" }, zones)).toEqual([
      "example.com",
      "www.example.com",
    ]);
  });
});

describe("ownershipRecords", () => {
  it("covers the apex and the sample host, for A, AAAA and CNAME", () => {
    expect([...MANAGED_RECORD_TYPES]).toEqual(["A", "AAAA", "CNAME"]);
    expect(SAMPLE_HOST_LABEL).toBe("www");
    expect(ownershipRecords(hostsOf(["example.com"]), "externaldns-%{record_type}.")).toEqual([
      { host: "example.com", recordType: "A", txtName: "externaldns-a.example.com" },
      { host: "example.com", recordType: "AAAA", txtName: "externaldns-aaaa.example.com" },
      { host: "example.com", recordType: "CNAME", txtName: "externaldns-cname.example.com" },
      { host: "www.example.com", recordType: "A", txtName: "externaldns-a.www.example.com" },
      {
        host: "www.example.com",
        recordType: "AAAA",
        txtName: "externaldns-aaaa.www.example.com",
      },
      {
        host: "www.example.com",
        recordType: "CNAME",
        txtName: "externaldns-cname.www.example.com",
      },
    ]);
  });

  it("keeps every ownership record inside the zone with the default prefix", () => {
    const records = ownershipRecords(hostsOf(["example.com"]), DEFAULT_TXT_PREFIX);
    expect(records).toHaveLength(6);
    for (const record of records) expect(record.txtName.endsWith(".example.com")).toBe(true);
  });

  it("shows the apex record leaving the zone with a plain prefix", () => {
    const records = ownershipRecords(hostsOf(["example.com"]), "txt-");
    expect(records.map((record) => record.txtName)).toEqual([
      "txt-a-example.com",
      "txt-aaaa-example.com",
      "txt-cname-example.com",
      "txt-a-www.example.com",
      "txt-aaaa-www.example.com",
      "txt-cname-www.example.com",
    ]);
    const outside = records.filter((record) => !record.txtName.endsWith(".example.com"));
    expect(outside.map((record) => record.host)).toEqual([
      "example.com",
      "example.com",
      "example.com",
    ]);
  });

  it("gives six records per domain filter, in filter order", () => {
    const records = ownershipRecords(
      hostsOf(["example.com", "apps.example.org"]),
      DEFAULT_TXT_PREFIX,
    );
    expect(records).toHaveLength(12);
    expect(records.slice(6).map((record) => record.host)).toEqual([
      "apps.example.org",
      "apps.example.org",
      "apps.example.org",
      "www.apps.example.org",
      "www.apps.example.org",
      "www.apps.example.org",
    ]);
    expect(records[6].txtName).toBe("externaldns-a.apps.example.org");
  });

  it("is empty without sample hosts", () => {
    expect(ownershipRecords([], DEFAULT_TXT_PREFIX)).toEqual([]);
  });
});
