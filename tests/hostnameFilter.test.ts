/**
 * Which hostnames external-dns manages. The expected answers are not ours:
 * tests/fixtures/external-dns-domain-filter/cases.json is what external-dns
 * v0.21.0's own DomainFilter.Match returned for each filter and hostname.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type HostnameFilter,
  managesHostname,
  normalizeHostname,
  usesRegexFilter,
} from "../components/hostnameFilter";

interface UpstreamCase extends HostnameFilter {
  name: string;
  managed: Record<string, boolean>;
}

const upstream = JSON.parse(
  readFileSync(join(__dirname, "fixtures", "external-dns-domain-filter", "cases.json"), "utf8"),
) as { externalDnsVersion: string; cases: UpstreamCase[] };

describe("managesHostname agrees with external-dns v0.21.0", () => {
  it("has the combinations the rule distinguishes", () => {
    expect(upstream.externalDnsVersion).toBe("v0.21.0");
    expect(upstream.cases.map((c) => c.name)).toEqual([
      "no filter",
      "domain filters only",
      "domain filters with exclusions",
      "exclusions only",
      "regex filter only",
      "regex exclusion only",
      "both regexes",
      "regex exclusion beside domain lists (the lists are ignored)",
    ]);
  });

  for (const testCase of upstream.cases) {
    it(`${testCase.name}: every hostname as upstream decides`, () => {
      const ours = Object.fromEntries(
        Object.keys(testCase.managed).map((hostname) => [
          hostname,
          managesHostname(testCase, hostname),
        ]),
      );
      expect(ours).toEqual(testCase.managed);
    });
  }

  it("each combination admits some hostnames and rejects others (the table discriminates)", () => {
    for (const testCase of upstream.cases.filter((c) => c.name !== "no filter")) {
      const answers = new Set(Object.values(testCase.managed));
      expect(answers, testCase.name).toEqual(new Set([true, false]));
    }
  });
});

describe("the rule in words", () => {
  const domains = { domainFilters: ["example.com"], excludeDomains: ["internal.example.com"] };

  it("with only a regex exclusion, every other name is managed, inside the domain filters or not", () => {
    const exclusionOnly = { ...domains, regexDomainExclusion: "^staging\\." };
    expect(usesRegexFilter(exclusionOnly)).toBe(true);
    expect(managesHostname(exclusionOnly, "other.net")).toBe(true);
    expect(managesHostname(exclusionOnly, "db.internal.example.com")).toBe(true);
    expect(managesHostname(exclusionOnly, "staging.example.com")).toBe(false);
    expect(managesHostname(domains, "other.net")).toBe(false);
    expect(managesHostname(domains, "db.internal.example.com")).toBe(false);
  });

  it("normalizes like external-dns: no trailing dot, lowercase, IDNA to Unicode", () => {
    expect(normalizeHostname("WWW.Example.COM.")).toBe("www.example.com");
    expect(normalizeHostname("xn--bcher-kva.example.com")).toBe("bücher.example.com");
  });
});
