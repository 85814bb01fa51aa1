import { bech32 } from "bech32";
import { describe, expect, it } from "vitest";
import {
  isAgeRecipient,
  isChartRepository,
  isCidr,
  isCloudflareId,
  isDns1123Label,
  isDomainName,
  isGoDuration,
  isPositiveGoDuration,
  isQuantity,
  isSemver,
  isStackName,
  isWithinDomain,
  re2SyntaxError,
} from "../stacks/formats";

/** Real age X25519 public keys (the ones Pulumi.production.yaml uses). */
const AGE_KEY = "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc";
const OTHER_AGE_KEY = "age1sppnsegw58drw5uswwnzjeraghzdmmc7evs03v0nssw9hlh44dlqhjdf5g";

describe("isDomainName", () => {
  it.each([
    "example.com",
    "sub.example.com",
    "a-b.example.co.uk",
    "xn--bcher-kva.example",
    "0.example.com",
    `${"a".repeat(63)}.example.com`,
  ])("accepts %j", (value) => {
    expect(isDomainName(value)).toBe(true);
  });

  it.each([
    ["uppercase", "Example.com"],
    ["a trailing dot", "example.com."],
    ["a single label", "localhost"],
    ["a label longer than 63 characters", `${"a".repeat(64)}.example.com`],
    ["a label with a leading hyphen", "-example.com"],
    ["a label with a trailing hyphen", "example-.com"],
    ["an empty label", "example..com"],
    ["a leading dot", ".example.com"],
    ["an underscore", "my_host.example.com"],
    ["a wildcard", "*.example.com"],
    ["a space", "exa mple.com"],
    ["the empty string", ""],
    ["more than 253 characters", `${`${"a".repeat(63)}.`.repeat(4)}com`],
  ])("rejects %s: %j", (_why, value) => {
    expect(isDomainName(value)).toBe(false);
  });
});

describe("isWithinDomain", () => {
  it.each([
    ["example.com", "example.com", true],
    ["sub.example.com", "example.com", true],
    ["a.b.example.com", "example.com", true],
    ["badexample.com", "example.com", false],
    ["example.com", "sub.example.com", false],
    ["example.org", "example.com", false],
  ])("%j within %j is %s", (name, zone, expected) => {
    expect(isWithinDomain(name, zone)).toBe(expected);
  });
});

describe("isCloudflareId", () => {
  it.each(["023e105f4ecef8ad9ca31a8372d0c353", "0".repeat(32), "f".repeat(32)])(
    "accepts %j",
    (value) => {
      expect(isCloudflareId(value)).toBe(true);
    },
  );

  it.each([
    ["uppercase hex", "023E105F4ECEF8AD9CA31A8372D0C353"],
    ["31 characters", "023e105f4ecef8ad9ca31a8372d0c35"],
    ["33 characters", "023e105f4ecef8ad9ca31a8372d0c3530"],
    ["a non-hex character", "023e105f4ecef8ad9ca31a8372d0c35g"],
    ["a UUID with dashes", "023e105f-4ece-f8ad-9ca3-1a8372d0c353"],
    ["the empty string", ""],
  ])("rejects %s: %j", (_why, value) => {
    expect(isCloudflareId(value)).toBe(false);
  });
});

describe("isDns1123Label", () => {
  it.each(["external-dns", "a", "dns1", "0abc", "a".repeat(63)])("accepts %j", (value) => {
    expect(isDns1123Label(value)).toBe(true);
  });

  it.each([
    ["uppercase and underscore", "External_DNS"],
    ["64 characters", "a".repeat(64)],
    ["a leading hyphen", "-dns"],
    ["a trailing hyphen", "dns-"],
    ["a dot", "external.dns"],
    ["the empty string", ""],
  ])("rejects %s: %j", (_why, value) => {
    expect(isDns1123Label(value)).toBe(false);
  });
});

describe("isGoDuration and isPositiveGoDuration", () => {
  it.each(["1m", "90s", "1h30m", "1.5h", "300ms", "1h2m3s4ms5us6ns", "2µs", ".5s", "1.s"])(
    "accept %j",
    (value) => {
      expect(isGoDuration(value)).toBe(true);
      expect(isPositiveGoDuration(value)).toBe(true);
    },
  );

  it.each([
    ["a number without unit", "1"],
    ["a space", "1 m"],
    ["a sign", "-1m"],
    ["an explicit plus sign", "+1m"],
    ["days, which Go does not know", "1d"],
    ["a word", "5 minutes"],
    ["the empty string", ""],
    ["a unit without number", "m"],
  ])("reject %s: %j", (_why, value) => {
    expect(isGoDuration(value)).toBe(false);
    expect(isPositiveGoDuration(value)).toBe(false);
  });

  it.each(["0s", "0m0s", "0.0h"])("%j is a Go duration but not a positive one", (value) => {
    expect(isGoDuration(value)).toBe(true);
    expect(isPositiveGoDuration(value)).toBe(false);
  });
});

describe("re2SyntaxError", () => {
  it.each([
    "^(.+\\.)?example\\.com$",
    "^[a-z0-9-]+\\.example\\.(com|org)$",
    "(?i)example",
    "(?P<sub>[a-z]+)\\.example\\.com",
    "",
  ])("accepts %j", (pattern) => {
    expect(re2SyntaxError(pattern)).toBeUndefined();
  });

  it.each([
    ["lookahead", "foo(?=x)"],
    ["negative lookahead", "foo(?!x)"],
    ["lookbehind", "(?<=x)foo"],
    ["negative lookbehind", "(?<!x)foo"],
    ["a backreference", "(a)\\1"],
    ["an unclosed group", "(abc"],
    ["an unclosed class", "[a-z"],
    ["a dangling repetition", "*abc"],
  ])("explains why %s is invalid: %j", (_why, pattern) => {
    const error = re2SyntaxError(pattern);
    expect(error).toEqual(expect.any(String));
    expect(error).not.toBe("");
  });
});

describe("isCidr", () => {
  it.each([
    "203.0.113.7/32",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "2001:db8::/48",
    "2001:db8:10::/128",
    "::/0",
  ])("accepts %j", (value) => {
    expect(isCidr(value)).toBe(true);
  });

  it.each([
    ["an IPv4 prefix above 32", "10.0.0.0/33"],
    ["an address without prefix", "10.0.0.0"],
    ["a name instead of an address", "not/8"],
    ["an IPv6 prefix above 128", "2001:db8::/129"],
    ["an out-of-range octet", "256.0.0.0/8"],
    ["an empty prefix", "10.0.0.0/"],
    ["a negative prefix", "10.0.0.0/-1"],
    ["two prefixes", "10.0.0.0/8/8"],
    ["an IPv6 zone index, which is no part of a network", "fe80::1%eth0/64"],
    ["a space", "10.0.0.0 /8"],
    ["the empty string", ""],
  ])("rejects %s: %j", (_why, value) => {
    expect(isCidr(value)).toBe(false);
  });
});

describe("isAgeRecipient", () => {
  it.each([AGE_KEY, OTHER_AGE_KEY])("accepts the real key %s", (value) => {
    expect(isAgeRecipient(value)).toBe(true);
  });

  /** A well-formed bech32 string with the age prefix that carries 31 bytes instead of 32. */
  const shortKey = bech32.encode("age", bech32.toWords(new Uint8Array(31).fill(7)));

  it.each([
    ["the uppercase form", AGE_KEY.toUpperCase()],
    ["a bad checksum (one character changed)", `${AGE_KEY.slice(0, -1)}d`],
    ["a bad checksum (a data character changed)", AGE_KEY.replace("l3dn", "l3dm")],
    ["a truncated key", AGE_KEY.slice(0, -4)],
    ["a valid bech32 string of the wrong length", shortKey],
    ["just the prefix", "age1"],
    ["another bech32 prefix", bech32.encode("agf", bech32.toWords(new Uint8Array(32).fill(7)))],
    [
      "an ssh key",
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVcmK0k4D6xNq8m0n7iZpKfI6s3dUq0rGv6xg2s7c1D user@host",
    ],
    [
      "an age secret key",
      "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    ],
    ["the empty string", ""],
  ])("rejects %s", (_why, value) => {
    expect(isAgeRecipient(value)).toBe(false);
  });

  it("the wrong-length example is otherwise valid bech32", () => {
    expect(shortKey.startsWith("age1")).toBe(true);
    expect(bech32.decode(shortKey).prefix).toBe("age");
  });
});

describe("isSemver", () => {
  it.each(["1.21.1", "0.0.1", "10.20.30", "1.21.1-rc.1"])("accepts %j", (value) => {
    expect(isSemver(value)).toBe(true);
  });

  it("accepts build metadata, which SemVer 2 and Helm chart versions allow", () => {
    expect(isSemver("1.0.0+build.5")).toBe(true);
    expect(isSemver("1.21.1-rc.1+20240101")).toBe(true);
  });

  it.each([
    ["a leading v", "v1.21.1"],
    ["two components", "1.21"],
    ["one component", "1"],
    ["leading zeros", "01.21.1"],
    ["a word", "latest"],
    ["a range", "^1.21.1"],
    ["surrounding spaces", " 1.21.1 "],
    ["the empty string", ""],
  ])("rejects %s: %j", (_why, value) => {
    expect(isSemver(value)).toBe(false);
  });
});

describe("isChartRepository", () => {
  it.each([
    "https://kubernetes-sigs.github.io/external-dns/",
    "https://charts.example.com",
    "oci://ghcr.io/example/charts",
    "oci://registry.example.com:5000/charts",
  ])("accepts %j", (value) => {
    expect(isChartRepository(value)).toBe(true);
  });

  it.each([
    ["plain http", "http://kubernetes-sigs.github.io/external-dns/"],
    ["a file URL", "file:///charts/external-dns"],
    ["not a URL", "not a url"],
    ["a bare host", "kubernetes-sigs.github.io/external-dns"],
    ["an https URL without host", "https://"],
    ["ssh", "ssh://git@github.com/example/charts"],
    ["the empty string", ""],
  ])("rejects %s: %j", (_why, value) => {
    expect(isChartRepository(value)).toBe(false);
  });
});

describe("isQuantity", () => {
  it.each(["50m", "100m", "0.5", "1", "64Mi", "128Mi", "1Gi", "1G", "1.5Gi", "1e3", "500k"])(
    "accepts %j",
    (value) => {
      expect(isQuantity(value)).toBe(true);
    },
  );

  it.each([
    ["a wrong unit", "64MB"],
    ["a lowercase binary unit", "64mi"],
    ["a space", "64 Mi"],
    ["a unit without number", "Mi"],
    ["a negative number", "-1"],
    ["a word", "lots"],
    ["the empty string", ""],
  ])("rejects %s: %j", (_why, value) => {
    expect(isQuantity(value)).toBe(false);
  });
});

describe("isStackName", () => {
  it.each([
    "production",
    "hetzner-cluster/production",
    "vanixiets/hetzner-cluster/production",
    "dev_1.2",
  ])("accepts %j", (value) => {
    expect(isStackName(value)).toBe(true);
  });

  it.each([
    ["a space", "my stack"],
    ["four parts", "a/b/c/d"],
    ["a leading slash", "/production"],
    ["a trailing slash", "production/"],
    ["an empty part", "org//production"],
    ["a colon", "org:production"],
    ["the empty string", ""],
  ])("rejects %s: %j", (_why, value) => {
    expect(isStackName(value)).toBe(false);
  });
});
