import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OPTION_KEYS, type OptionKey, options } from "../stacks/options";
import {
  type LoadedConfig,
  loadSettings,
  loadStackConfig,
  projectKeys,
  type Settings,
} from "../stacks/settings";
import { PROJECT_ROOT, stackConfig } from "../stacks/stackFiles";
import { closest } from "../stacks/suggest";

const AGE_KEY = "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc";
const OTHER_AGE_KEY = "age1sppnsegw58drw5uswwnzjeraghzdmmc7evs03v0nssw9hlh44dlqhjdf5g";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const OTHER_ZONE_ID = "372e67954025e0ba6aaa6d586b9e0b59";

/** The smallest valid config, as Pulumi delivers it (scalars as strings, structures as JSON). */
const base: Record<string, string> = {
  zones: json(["example.com"]),
  txtOwnerId: "test-cluster",
  sopsAgeRecipients: json([AGE_KEY]),
};

function json(value: unknown): string {
  return JSON.stringify(value);
}

/** `base` with some keys replaced; an `undefined` override removes the key. */
function load(overrides: Record<string, string | undefined> = {}): LoadedConfig {
  const raw = Object.fromEntries(
    Object.entries({ ...base, ...overrides }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  return loadSettings(raw);
}

function errorsFor(overrides: Record<string, string | undefined>): string[] {
  const result = load(overrides);
  expect(result.kind, `expected an invalid config, got ${json(result)}`).toBe("invalid");
  return result.kind === "invalid" ? result.errors : [];
}

function enabledFor(overrides: Record<string, string | undefined> = {}): {
  settings: Settings;
  warnings: string[];
} {
  const result = load(overrides);
  if (result.kind !== "enabled") throw new Error(`expected an enabled config, got ${json(result)}`);
  return result;
}

function settingsFor(overrides: Record<string, string | undefined> = {}): Settings {
  return enabledFor(overrides).settings;
}

function warningsFor(overrides: Record<string, string | undefined>): string[] {
  return enabledFor(overrides).warnings;
}

describe("loadSettings: defaults", () => {
  it("fills in every default for a minimal config", () => {
    const { settings, warnings } = enabledFor();
    expect(warnings).toEqual([]);
    expect(settings).toEqual({
      zones: [{ name: "example.com" }],
      domainFilters: ["example.com"],
      excludeDomains: [],
      sources: ["service", "ingress"],
      annotationPrefix: "legacy",
      policy: "sync",
      txtOwnerId: "test-cluster",
      txtPrefix: "externaldns-%{record_type}.",
      proxied: false,
      recordsPerPage: 5000,
      interval: "1m",
      triggerLoopOnEvent: false,
      dryRun: false,
      chartVersion: "1.22.0",
      externalDnsVersion: "0.22.0",
      chartRepository: "https://kubernetes-sigs.github.io/external-dns/",
      namespace: "external-dns",
      sopsAgeRecipients: [AGE_KEY],
      tokenAllowedCidrs: [],
      tokenOwner: "user",
      resources: {
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { cpu: "100m", memory: "128Mi" },
      },
    });
  });

  it("turns zone names into {name} and keeps given ids", () => {
    const settings = settingsFor({
      zones: json(["example.com", { name: "example.org", id: ZONE_ID }, { name: "example.net" }]),
    });
    expect(settings.zones).toEqual([
      { name: "example.com" },
      { name: "example.org", id: ZONE_ID },
      { name: "example.net" },
    ]);
    expect(settings.domainFilters).toEqual(["example.com", "example.org", "example.net"]);
  });

  it("defaults domainFilters to the zone names, but keeps given ones", () => {
    const settings = settingsFor({
      zones: json(["example.com", "example.org"]),
      domainFilters: json(["app.example.com"]),
    });
    expect(settings.domainFilters).toEqual(["app.example.com"]);
  });

  it("takes given scalar values as Pulumi delivers them", () => {
    const settings = settingsFor({
      enabled: "true",
      policy: "upsert-only",
      proxied: "true",
      recordsPerPage: "100",
      interval: "1h30m",
      triggerLoopOnEvent: "true",
      dryRun: "true",
      chartVersion: "1.21.1",
      annotationPrefix: "current",
      chartRepository: "oci://ghcr.io/example/charts",
      namespace: "dns",
      sopsSecretFile: "k8s/secrets/dns.enc.yaml",
      clusterStack: "org/cluster/dev",
      regexDomainFilter: "^(.+\\.)?example\\.com$",
    });
    expect(settings).toMatchObject({
      policy: "upsert-only",
      proxied: true,
      recordsPerPage: 100,
      interval: "1h30m",
      triggerLoopOnEvent: true,
      dryRun: true,
      chartVersion: "1.21.1",
      externalDnsVersion: "0.21.0",
      annotationPrefix: "current",
      chartRepository: "oci://ghcr.io/example/charts",
      namespace: "dns",
      sopsSecretFile: "k8s/secrets/dns.enc.yaml",
      clusterStack: "org/cluster/dev",
      regexDomainFilter: "^(.+\\.)?example\\.com$",
    });
  });

  it("overrides the resources field by field", () => {
    const settings = settingsFor({ resources: json({ limits: { memory: "256Mi" } }) });
    expect(settings.resources).toEqual({
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { cpu: "100m", memory: "256Mi" },
    });
  });
});

describe("loadSettings: Pulumi.production.yaml", () => {
  const result = loadSettings(projectKeys(stackConfig("production")));

  it("is valid, without errors or warnings", () => {
    expect(result).toMatchObject({ kind: "enabled", warnings: [] });
  });

  it("carries the stack's values", () => {
    if (result.kind !== "enabled") throw new Error(`expected enabled, got ${json(result)}`);
    expect(result.settings).toMatchObject({
      zones: [{ name: "example.com", id: ZONE_ID }, { name: "example.org" }],
      domainFilters: ["example.com", "example.org"],
      excludeDomains: ["internal.example.com"],
      sources: ["service", "ingress", "gateway-httproute"],
      txtOwnerId: "hetzner-production",
      triggerLoopOnEvent: true,
      proxied: false,
      recordsPerPage: 5000,
      sopsAgeRecipients: [AGE_KEY, OTHER_AGE_KEY],
      tokenAllowedCidrs: ["203.0.113.10/32", "2001:db8:10::/48"],
      clusterStack: "vanixiets/hetzner-cluster/production",
      sopsSecretFile: "k8s/secrets/production/external-dns-cloudflare.enc.yaml",
    });
  });
});

describe("loadSettings: disabled stacks and unknown keys", () => {
  it('is disabled with enabled "false" and nothing else', () => {
    expect(loadSettings({ enabled: "false" })).toEqual({ kind: "disabled", warnings: [] });
  });

  it("reports an unknown key even when disabled, naming the known keys", () => {
    const result = loadSettings({ enabled: "false", zone: json(["example.com"]) });
    expect(result.kind).toBe("invalid");
    const errors = result.kind === "invalid" ? result.errors : [];
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("external-dns:zone:");
    expect(errors[0]).toContain("unknown key");
    expect(errors[0]).toContain("known keys:");
    for (const key of Object.keys(options)) expect(errors[0]).toContain(key);
  });

  it("reports an unknown key next to an otherwise valid config", () => {
    expect(errorsFor({ dryrun: "true" })).toEqual([
      expect.stringMatching(
        /^external-dns:dryrun: unknown key; did you mean external-dns:dryRun\? known keys: .*dryRun/,
      ),
    ]);
  });
});

describe("misspellings: keys and namespaces", () => {
  it("suggests the nearest key, and none when nothing is close", () => {
    expect(closest("domainFilter", OPTION_KEYS)).toBe("domainFilters");
    expect(closest("txtOwnerID", OPTION_KEYS)).toBe("txtOwnerId");
    expect(closest("colour", OPTION_KEYS)).toBeUndefined();
    expect(errorsFor({ colour: "blue" })[0]).toMatch(
      /^external-dns:colour: unknown key; known keys: /,
    );
  });

  it("warns about keys under a namespace that looks like one the program reads, saying they are ignored", () => {
    const loaded = loadStackConfig({
      "externaldns:zones": json(["example.com"]),
      "cloudflre:apiToken": "x",
      "aws:region": "eu-central-1",
      "external-dns:enabled": "false",
    });
    expect(loaded.warnings).toEqual([
      "externaldns:zones: namespace externaldns is not read by this program (it reads external-dns:, cloudflare:, kubernetes:), so this key is ignored; did you mean external-dns:zones?",
      "cloudflre:apiToken: namespace cloudflre is not read by this program (it reads external-dns:, cloudflare:, kubernetes:), so this key is ignored; did you mean cloudflare:apiToken?",
    ]);
  });
});

describe("loadSettings: required keys", () => {
  it("reports each missing required key by name", () => {
    const result = loadSettings({});
    expect(result.kind).toBe("invalid");
    expect(result.kind === "invalid" ? result.errors : []).toEqual([
      "external-dns:zones: required when external-dns is enabled",
      "external-dns:txtOwnerId: required when external-dns is enabled",
      "external-dns:sopsAgeRecipients: required when external-dns is enabled",
    ]);
  });

  it.each(["zones", "txtOwnerId", "sopsAgeRecipients"])(
    "reports %s alone when only it is missing",
    (key) => {
      expect(errorsFor({ [key]: undefined })).toEqual([
        `external-dns:${key}: required when external-dns is enabled`,
      ]);
    },
  );

  it('requires them when enabled is "true" explicitly', () => {
    expect(errorsFor({ enabled: "true", txtOwnerId: undefined })).toEqual([
      "external-dns:txtOwnerId: required when external-dns is enabled",
    ]);
  });
});

interface InvalidCase {
  /** Qualified key with the path inside the value, as the error starts. */
  at: string;
  /** The offending value, JSON-encoded as the error quotes it. */
  given: string;
  /** A characteristic fragment of what the error says is allowed. */
  allowed: string;
}

const DOMAIN_RULE = "must be a lowercase DNS name";
const WHOLE_NUMBER = "must be a whole number from 1 to 5000";
const DURATION = "must be a positive Go duration such as 1m, 90s or 1h30m";
const OWNER_ID = "must be 1-63 characters of A-Z, a-z, 0-9, '.', '_' and '-'";
const RE2 = "must be a Go RE2 regular expression (no lookaround, no backreferences)";
const BOOLEAN = "must be true or false";

const invalidCases: [string, Record<string, string>, InvalidCase][] = [
  [
    "an unknown policy",
    { policy: "syncc" },
    { at: "policy", given: '"syncc"', allowed: "must be one of: sync, upsert-only, create-only" },
  ],
  [
    "an empty zones list",
    { zones: "[]" },
    { at: "zones", given: "[]", allowed: "at least one zone" },
  ],
  [
    "zones that are not a list",
    { zones: "example.com" },
    { at: "zones", given: '"example.com"', allowed: "must be a list" },
  ],
  [
    "duplicate zone names",
    {
      zones: json([
        { name: "example.com", id: ZONE_ID },
        { name: "example.com", id: OTHER_ZONE_ID },
      ]),
    },
    {
      at: "zones[1]",
      given: json({ name: "example.com", id: OTHER_ZONE_ID }),
      allowed: "duplicate zone name",
    },
  ],
  [
    "duplicate zone ids",
    {
      zones: json([
        { name: "example.com", id: ZONE_ID },
        { name: "example.org", id: ZONE_ID },
      ]),
    },
    {
      at: "zones[1]",
      given: json({ name: "example.org", id: ZONE_ID }),
      allowed: "duplicate zone id",
    },
  ],
  [
    "a zone id that is too short",
    { zones: json([{ name: "example.com", id: "023e105f" }]) },
    { at: "zones[0].id", given: '"023e105f"', allowed: "32 lowercase hex characters" },
  ],
  [
    "an uppercase zone id",
    { zones: json([{ name: "example.com", id: ZONE_ID.toUpperCase() }]) },
    {
      at: "zones[0].id",
      given: json(ZONE_ID.toUpperCase()),
      allowed: "32 lowercase hex characters",
    },
  ],
  [
    "a zone object with an unknown key",
    { zones: json([{ name: "example.com", zoneId: ZONE_ID }]) },
    {
      at: "zones[0]",
      given: json({ name: "example.com", zoneId: ZONE_ID }),
      allowed: "unknown field zoneId; allowed: {name, id}",
    },
  ],
  [
    "an uppercase zone name",
    { zones: json(["Example.com"]) },
    { at: "zones[0].name", given: '"Example.com"', allowed: DOMAIN_RULE },
  ],
  [
    "a zone name with a trailing dot",
    { zones: json([{ name: "example.com." }]) },
    { at: "zones[0].name", given: '"example.com."', allowed: DOMAIN_RULE },
  ],
  [
    "a single-label domain filter",
    { domainFilters: json(["example.com", "localhost"]) },
    { at: "domainFilters[1]", given: '"localhost"', allowed: DOMAIN_RULE },
  ],
  [
    "a wildcard exclude domain",
    { excludeDomains: json(["*.example.com"]) },
    { at: "excludeDomains[0]", given: '"*.example.com"', allowed: DOMAIN_RULE },
  ],
  [
    "a domain filter outside every zone",
    { domainFilters: json(["example.com", "example.org"]) },
    {
      at: "domainFilters[1]",
      given: '"example.org"',
      allowed: "a zone (example.com) or a subdomain",
    },
  ],
  [
    "a domain filter that merely ends like a zone",
    { domainFilters: json(["badexample.com"]) },
    { at: "domainFilters[0]", given: '"badexample.com"', allowed: "a zone (example.com)" },
  ],
  [
    "a duplicate domain filter",
    { domainFilters: json(["example.com", "example.com"]) },
    { at: "domainFilters[1]", given: '"example.com"', allowed: "duplicate domain" },
  ],
  ["an empty owner ID", { txtOwnerId: "" }, { at: "txtOwnerId", given: '""', allowed: OWNER_ID }],
  ...['a"b', "a,b", "a=b", "a b", "-ab", "a".repeat(64)].map(
    (id): [string, Record<string, string>, InvalidCase] => [
      `the owner ID ${json(id)}`,
      { txtOwnerId: id },
      { at: "txtOwnerId", given: json(id), allowed: OWNER_ID },
    ],
  ),
  [
    "an unknown source",
    { sources: json(["service", "ingres"]) },
    { at: "sources[1]", given: '"ingres"', allowed: "gateway-httproute" },
  ],
  [
    "an empty sources list",
    { sources: "[]" },
    { at: "sources", given: "[]", allowed: "at least one source" },
  ],
  [
    "a duplicate source",
    { sources: json(["service", "service"]) },
    { at: "sources[1]", given: '"service"', allowed: "duplicate source" },
  ],
  [
    "a malformed age recipient",
    { sopsAgeRecipients: json([AGE_KEY, `${AGE_KEY.slice(0, -1)}d`]) },
    {
      at: "sopsAgeRecipients[1]",
      given: json(`${AGE_KEY.slice(0, -1)}d`),
      allowed: "age public key",
    },
  ],
  [
    "an uppercase age recipient",
    { sopsAgeRecipients: json([AGE_KEY.toUpperCase()]) },
    { at: "sopsAgeRecipients[0]", given: json(AGE_KEY.toUpperCase()), allowed: "age public key" },
  ],
  [
    "no age recipients",
    { sopsAgeRecipients: "[]" },
    { at: "sopsAgeRecipients", given: "[]", allowed: "at least one age recipient" },
  ],
  ...["0", "5001", "1.5", "-1"].map((value): [string, Record<string, string>, InvalidCase] => [
    `recordsPerPage ${value}`,
    { recordsPerPage: value },
    { at: "recordsPerPage", given: value, allowed: WHOLE_NUMBER },
  ]),
  [
    "recordsPerPage many",
    { recordsPerPage: "many" },
    { at: "recordsPerPage", given: '"many"', allowed: WHOLE_NUMBER },
  ],
  ...["1", "5 minutes", "1d", "0s", "-1m", ""].map(
    (value): [string, Record<string, string>, InvalidCase] => [
      `the interval ${json(value)}`,
      { interval: value },
      { at: "interval", given: json(value), allowed: DURATION },
    ],
  ),
  ...["10.0.0.0/33", "10.0.0.0", "2001:db8::/129", "not/8"].map(
    (value): [string, Record<string, string>, InvalidCase] => [
      `the CIDR ${value}`,
      { tokenAllowedCidrs: json(["203.0.113.7/32", value]) },
      { at: "tokenAllowedCidrs[1]", given: json(value), allowed: "must be a CIDR such as" },
    ],
  ),
  ...["v1.21.1", "1.21", "1.21.0", "latest"].map(
    (value): [string, Record<string, string>, InvalidCase] => [
      `the chart version ${value}`,
      { chartVersion: value },
      {
        at: "chartVersion",
        given: json(value),
        allowed: "must be one of: 1.21.1, 1.22.0 (the charts this program renders and checks)",
      },
    ],
  ),
  [
    "an external-dns version the chart does not run",
    { chartVersion: "1.21.1", externalDnsVersion: "0.23.0" },
    {
      at: "externalDnsVersion",
      given: json("0.23.0"),
      allowed: "chart 1.21.1 runs external-dns 0.21.0",
    },
  ],
  [
    "an external-dns version this program does not know",
    { externalDnsVersion: "v0.23.0" },
    {
      at: "externalDnsVersion",
      given: json("v0.23.0"),
      allowed: "must be one of: 0.21.0, 0.22.0, 0.23.0",
    },
  ],
  [
    "an annotation prefix other than legacy or current",
    { annotationPrefix: "both" },
    { at: "annotationPrefix", given: json("both"), allowed: "must be one of: legacy, current" },
  ],
  ...["External_DNS", "a".repeat(64), "-dns", ""].map(
    (value): [string, Record<string, string>, InvalidCase] => [
      `the namespace ${json(value)}`,
      { namespace: value },
      { at: "namespace", given: json(value), allowed: "must be a DNS-1123 label" },
    ],
  ),
  ...(["regexDomainFilter", "regexDomainExclusion"] as const).flatMap(
    (key): [string, Record<string, string>, InvalidCase][] => [
      [
        `${key} with a lookahead`,
        { [key]: "^(?!internal\\.).*\\.example\\.com$" },
        { at: key, given: json("^(?!internal\\.).*\\.example\\.com$"), allowed: RE2 },
      ],
      [
        `${key} with a lookbehind`,
        { [key]: "(?<=x)\\.example\\.com$" },
        { at: key, given: json("(?<=x)\\.example\\.com$"), allowed: RE2 },
      ],
      [
        `${key} with a backreference`,
        { [key]: "^(a)\\1\\.example\\.com$" },
        { at: key, given: json("^(a)\\1\\.example\\.com$"), allowed: RE2 },
      ],
      [
        `${key} with {{`,
        { [key]: "^{{ .Values.x }}\\.example\\.com$" },
        {
          at: key,
          given: json("^{{ .Values.x }}\\.example\\.com$"),
          allowed: "must not contain '{{'",
        },
      ],
    ],
  ),
  ...(["enabled", "proxied", "dryRun", "triggerLoopOnEvent"] as const).flatMap(
    (key): [string, Record<string, string>, InvalidCase][] => [
      [`${key} "yes"`, { [key]: "yes" }, { at: key, given: '"yes"', allowed: BOOLEAN }],
      [`${key} "1"`, { [key]: "1" }, { at: key, given: "1", allowed: BOOLEAN }],
    ],
  ),
  ...["http://kubernetes-sigs.github.io/external-dns/", "file:///charts", "not a url"].map(
    (value): [string, Record<string, string>, InvalidCase] => [
      `the chart repository ${json(value)}`,
      { chartRepository: value },
      { at: "chartRepository", given: json(value), allowed: "https:// Helm repository URL" },
    ],
  ),
  [
    "resources with an unknown top-level key",
    { resources: json({ request: { cpu: "50m" } }) },
    { at: "resources", given: json({ request: { cpu: "50m" } }), allowed: "{requests, limits}" },
  ],
  [
    "resources with an unknown field",
    { resources: json({ requests: { gpu: "1" } }) },
    {
      at: "resources.requests",
      given: json({ gpu: "1" }),
      allowed: "unknown field gpu; allowed: {cpu, memory}",
    },
  ],
  [
    "a bad quantity",
    { resources: json({ limits: { memory: "128MB" } }) },
    { at: "resources.limits.memory", given: '"128MB"', allowed: "must be a Kubernetes quantity" },
  ],
  [
    "resources that are not an object",
    { resources: "big" },
    { at: "resources", given: '"big"', allowed: "{requests, limits}" },
  ],
  [
    "a cluster stack with spaces",
    { clusterStack: "my cluster stack" },
    { at: "clusterStack", given: '"my cluster stack"', allowed: "<org>/<project>/<stack>" },
  ],
  [
    "an empty sopsSecretFile",
    { sopsSecretFile: "" },
    { at: "sopsSecretFile", given: '""', allowed: "must be a non-empty file path" },
  ],
  [
    "a blank sopsSecretFile",
    { sopsSecretFile: "   " },
    { at: "sopsSecretFile", given: '"   "', allowed: "must be a non-empty file path" },
  ],
  [
    "a txtPrefix starting with a dot",
    { txtPrefix: ".txt" },
    { at: "txtPrefix", given: '".txt"', allowed: "optionally with %{record_type}" },
  ],
  [
    "a txtPrefix with ..",
    { txtPrefix: "txt..%{record_type}." },
    { at: "txtPrefix", given: '"txt..%{record_type}."', allowed: "must not contain '..'" },
  ],
  [
    "a migrateFromTxtPrefix with upper case",
    { migrateFromTxtPrefix: "ExternalDNS-" },
    { at: "migrateFromTxtPrefix", given: '"ExternalDNS-"', allowed: "must be lowercase" },
  ],
  [
    "a migrateFromTxtPrefix equal to txtPrefix",
    { migrateFromTxtPrefix: "externaldns-%{record_type}." },
    {
      at: "migrateFromTxtPrefix",
      given: '"externaldns-%{record_type}."',
      allowed: "the prefix the ownership records have now, different from external-dns:txtPrefix",
    },
  ],
  [
    "a migrateFromTxtOwnerId with a space",
    { migrateFromTxtOwnerId: "old cluster" },
    { at: "migrateFromTxtOwnerId", given: '"old cluster"', allowed: "must be 1-63 characters" },
  ],
  [
    "a migrateFromTxtOwnerId equal to txtOwnerId",
    { migrateFromTxtOwnerId: "test-cluster" },
    {
      at: "migrateFromTxtOwnerId",
      given: '"test-cluster"',
      allowed:
        "the owner ID the ownership records carry now, different from external-dns:txtOwnerId",
    },
  ],
  [
    "a migrateFromTxtOwnerId beside a migrateFromTxtPrefix",
    { migrateFromTxtOwnerId: "vanixiets-cluster", migrateFromTxtPrefix: "externaldns-" },
    {
      at: "migrateFromTxtOwnerId",
      given: '"vanixiets-cluster"',
      allowed: "leave one of the two out",
    },
  ],
  [
    "a cloudflareIdentity with a space",
    { cloudflareIdentity: "ops bot" },
    {
      at: "cloudflareIdentity",
      given: '"ops bot"',
      allowed: "must be a label of 1-100 characters",
    },
  ],
  [
    "a tokenRotationOffsetDays without tokenRotationDays",
    { tokenRotationOffsetDays: "3" },
    {
      at: "tokenRotationOffsetDays",
      given: "3",
      allowed: "set external-dns:tokenRotationDays too",
    },
  ],
  [
    "a tokenRotationOffsetDays as long as the period",
    { tokenRotationDays: "30", tokenRotationOffsetDays: "30" },
    { at: "tokenRotationOffsetDays", given: "30", allowed: "0 to 29" },
  ],
  [
    "a negative tokenRotationOffsetDays",
    { tokenRotationDays: "30", tokenRotationOffsetDays: "-1" },
    {
      at: "tokenRotationOffsetDays",
      given: "-1",
      allowed: "must be a whole number of days from 0",
    },
  ],
  ...["999ms", "0.5s", "1ns", "500ms"].map(
    (value): [string, Record<string, string>, InvalidCase] => [
      `the interval ${value}, faster than the controller's one-second tick`,
      { interval: value },
      {
        at: "interval",
        given: json(value),
        allowed: "must be at least 1s: external-dns checks once a second",
      },
    ],
  ),
  ...Object.entries({
    unstructured: "it needs --unstructured-resource flags and RBAC",
    connector: "it needs --connector-source-server",
    fake: "it publishes ten random test records under example.com",
  }).map(([source, why]): [string, Record<string, string>, InvalidCase] => [
    `the unsupported source ${source}`,
    { sources: json(["service", source]) },
    { at: "sources[1]", given: json(source), allowed: `is not supported: ${why}` },
  ]),
  ...(["regexDomainFilter", "regexDomainExclusion"] as const).flatMap(
    (regexKey): [string, Record<string, string>, InvalidCase][] => [
      [
        `an empty ${regexKey}`,
        { [regexKey]: "" },
        { at: regexKey, given: '""', allowed: "must not be empty; leave the key out" },
      ],
      [
        `domainFilters beside ${regexKey}`,
        { [regexKey]: "\\.example\\.com$", domainFilters: json(["example.com"]) },
        {
          at: "domainFilters",
          given: json(["example.com"]),
          allowed: `cannot be combined with external-dns:${regexKey}: external-dns ignores --domain-filter and --exclude-domains whenever a regex filter is set`,
        },
      ],
      [
        `excludeDomains beside ${regexKey}`,
        { [regexKey]: "\\.example\\.com$", excludeDomains: json(["internal.example.com"]) },
        {
          at: "excludeDomains",
          given: json(["internal.example.com"]),
          allowed: `cannot be combined with external-dns:${regexKey}`,
        },
      ],
    ],
  ),
];

describe("loadSettings: invalid values", () => {
  it.each(invalidCases)("rejects %s", (_what, overrides, { at, given, allowed }) => {
    const errors = errorsFor(overrides);
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error).toMatch(new RegExp(`^${escapeRegExp(`external-dns:${at}:`)} `));
    expect(error).toContain(`given ${given}`);
    expect(error).toContain(allowed);
  });

  it("quotes the RE2 parser's own explanation", () => {
    const [error] = errorsFor({ regexDomainFilter: "(?=x)" });
    expect(error).toContain("invalid or unsupported Perl syntax");
  });

  it("lists every valid source for an unknown one", () => {
    const [error] = errorsFor({ sources: json(["services"]) });
    for (const source of ["service", "ingress", "gateway-httproute", "istio-gateway", "crd"]) {
      expect(error).toContain(source);
    }
  });

  it("reports all problems together", () => {
    const errors = errorsFor({
      policy: "syncc",
      recordsPerPage: "0",
      interval: "1d",
      namespace: "External_DNS",
      proxied: "yes",
      txtOwnerId: undefined,
      zone: "example.com",
    });
    expect(errors).toHaveLength(7);
    for (const key of [
      "zone",
      "policy",
      "recordsPerPage",
      "interval",
      "namespace",
      "proxied",
      "txtOwnerId",
    ]) {
      expect(errors).toContainEqual(expect.stringMatching(new RegExp(`^external-dns:${key}:`)));
    }
  });

  it("reports several problems within one list", () => {
    const errors = errorsFor({
      zones: json(["example.com", "Example.org", { name: "example.net", id: "x" }]),
    });
    expect(errors).toEqual([
      expect.stringMatching(/^external-dns:zones\[1\]\.name: /),
      expect.stringMatching(/^external-dns:zones\[2\]\.id: /),
    ]);
  });
});

describe("loadSettings: regex filters", () => {
  it("renders no domain filters when a regex decides, and keeps them otherwise", () => {
    const zones = json(["example.com", "example.org"]);
    expect(settingsFor({ zones }).domainFilters).toEqual(["example.com", "example.org"]);
    for (const regexKey of ["regexDomainFilter", "regexDomainExclusion"]) {
      const settings = settingsFor({ zones, [regexKey]: "^staging\\." });
      expect(settings.domainFilters).toEqual([]);
      expect(settings.excludeDomains).toEqual([]);
    }
  });

  it("accepts an empty excludeDomains beside a regex (Pulumi.yaml's default)", () => {
    expect(
      settingsFor({ regexDomainExclusion: "^staging\\.", excludeDomains: "[]" }).excludeDomains,
    ).toEqual([]);
  });

  it("names both regex keys and both lists when all four are set", () => {
    const errors = errorsFor({
      regexDomainFilter: "\\.example\\.com$",
      regexDomainExclusion: "^staging\\.",
      domainFilters: json(["example.com"]),
      excludeDomains: json(["internal.example.com"]),
    });
    expect(errors).toHaveLength(2);
    for (const error of errors) {
      expect(error).toContain(
        "cannot be combined with external-dns:regexDomainFilter and external-dns:regexDomainExclusion",
      );
    }
  });

  it("takes migrateFromTxtPrefix beside another txtPrefix", () => {
    const result = load({ migrateFromTxtPrefix: "externaldns-" });
    expect(result.kind === "enabled" && result.settings.migrateFromTxtPrefix).toBe("externaldns-");
    expect(result.warnings).toEqual([]);
  });

  it("warns that the move needs the machine running pulumi up inside tokenAllowedCidrs", () => {
    expect(
      warningsFor({
        migrateFromTxtPrefix: "externaldns-",
        tokenAllowedCidrs: json(["203.0.113.10/32"]),
      }),
    ).toEqual([
      "external-dns:migrateFromTxtPrefix: the ownership move runs where pulumi up runs, with the minted token, which Cloudflare accepts only from external-dns:tokenAllowedCidrs " +
        "(203.0.113.10/32): run that up from an address in the list, or add this machine's for the move",
    ]);
  });

  it("warns about an apex-unsafe txtPrefix only when the filter admits a zone apex", () => {
    const apexAdmitted = { txtPrefix: "txt-", regexDomainExclusion: "^staging\\." };
    expect(warningsFor(apexAdmitted)).toEqual([expect.stringContaining("txtPrefix")]);
    const apexExcluded = { txtPrefix: "txt-", regexDomainFilter: "^.+\\.example\\.com$" };
    expect(warningsFor(apexExcluded)).toEqual([]);
  });
});

describe("loadSettings: cross checks beside invalid zones", () => {
  it("still checks the domain filters against the zone names when a zone id is invalid", () => {
    const errors = errorsFor({
      zones: json([{ name: "example.com", id: "x" }]),
      domainFilters: json(["example.com", "example.net"]),
    });
    expect(errors).toEqual([
      expect.stringMatching(/^external-dns:zones\[0\]\.id: /),
      expect.stringMatching(
        /^external-dns:domainFilters\[1\]: lies outside every zone; given "example.net"/,
      ),
    ]);
  });
});

describe("loadSettings: fleet options", () => {
  it("takes an owner to rename from, an identity and a rotation offset", () => {
    expect(
      settingsFor({
        migrateFromTxtOwnerId: "vanixiets-cluster",
        cloudflareIdentity: "ops@example.com",
        tokenRotationDays: "90",
        tokenRotationOffsetDays: "0",
      }),
    ).toMatchObject({
      migrateFromTxtOwnerId: "vanixiets-cluster",
      cloudflareIdentity: "ops@example.com",
      tokenRotationDays: 90,
      tokenRotationOffsetDays: 0,
    });
  });

  it("warns that the rename reads only the sources whose hostnames it can read", () => {
    expect(
      warningsFor({
        migrateFromTxtOwnerId: "vanixiets-cluster",
        sources: json(["service", "istio-gateway", "crd"]),
      }),
    ).toEqual([
      "external-dns:migrateFromTxtOwnerId: the rename reads the hostnames this cluster declares from service, ingress, gateway-httproute, gateway-grpcroute, gateway-tlsroute only; " +
        'records of the sources istio-gateway, crd keep the old owner, and this cluster\'s external-dns leaves them alone: rename those ownership records by hand (docs/fleet.md: "Renaming an owner")',
    ]);
  });

  it("warns that the rename runs where pulumi up runs when the token is bound to addresses", () => {
    expect(
      warningsFor({
        migrateFromTxtOwnerId: "vanixiets-cluster",
        tokenAllowedCidrs: json(["203.0.113.10/32"]),
      }),
    ).toEqual([
      expect.stringMatching(
        /^external-dns:migrateFromTxtOwnerId: the rename runs where pulumi up runs, .* \(203\.0\.113\.10\/32\): run that up from an address in the list/,
      ),
    ]);
  });
});

describe("loadSettings: warnings", () => {
  const APEX = "apex";

  it.each([
    ["without %{record_type}", "txt-"],
    ["without a trailing dot", "%{record_type}-"],
    ["with neither", "txt"],
  ])("warns about a txtPrefix %s while the apex can be managed", (_why, txtPrefix) => {
    const warnings = warningsFor({ txtPrefix });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^external-dns:txtPrefix: /);
    expect(warnings[0]).toContain(json(txtPrefix));
    expect(warnings[0]).toContain(APEX);
  });

  it("warns when one of several domain filters is a zone", () => {
    const warnings = warningsFor({
      zones: json(["example.com", "example.org"]),
      domainFilters: json(["app.example.com", "example.org"]),
      txtPrefix: "txt-",
    });
    expect(warnings).toEqual([expect.stringContaining(APEX)]);
  });

  it("does not warn about the default prefix or another apex-safe one", () => {
    expect(warningsFor({})).toEqual([]);
    expect(warningsFor({ txtPrefix: "externaldns-%{record_type}." })).toEqual([]);
    expect(warningsFor({ txtPrefix: "owner.%{record_type}." })).toEqual([]);
  });

  it("does not warn about a txtPrefix without template when no domain filter is a zone apex", () => {
    expect(
      warningsFor({
        zones: json(["example.com", "example.org"]),
        domainFilters: json(["app.example.com", "dev.example.org"]),
        txtPrefix: "txt-",
      }),
    ).toEqual([]);
  });

  it("warns about an excluded domain outside every domain filter", () => {
    const warnings = warningsFor({
      domainFilters: json(["app.example.com"]),
      excludeDomains: json(["internal.app.example.com", "other.example.com"]),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^external-dns:excludeDomains\[1\]: /);
    expect(warnings[0]).toContain('"other.example.com"');
    expect(warnings[0]).toContain("excludes nothing");
  });

  it("does not warn about excluded domains inside a domain filter", () => {
    expect(warningsFor({ excludeDomains: json(["internal.example.com"]) })).toEqual([]);
  });

  it("does not hide the apex problem behind an empty domainFilters list", () => {
    // With no --domain-filter external-dns manages every zone the token reaches,
    // apexes included, so "txt-" is as unsafe as with the default filters. Either
    // an empty list is rejected, or the apex warning still comes.
    const result = load({ domainFilters: "[]", txtPrefix: "txt-" });
    const problems = [...result.warnings, ...(result.kind === "invalid" ? result.errors : [])];
    expect(problems).toContainEqual(
      expect.stringMatching(/^external-dns:(txtPrefix: .*apex|domainFilters: )/),
    );
  });
});

describe("Pulumi.yaml declarations", () => {
  interface Declaration {
    type: string;
    default?: unknown;
    items?: { type: string };
  }
  const project = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config: Record<string, Declaration>;
  };
  const declared = Object.entries(project.config);

  it("uses the config namespace of the options", () => {
    expect(project.name).toBe("external-dns");
  });

  it.each(declared)("declares %s like stacks/options.ts", (key, declaration) => {
    expect(Object.keys(options)).toContain(key);
    const option = options[key as OptionKey];
    expect(declaration.type).toBe(option.pulumiType);
    expect(declaration.default).toEqual(option.schema.parse(undefined));
    if (declaration.type === "array") expect(declaration.items).toEqual({ type: "string" });
  });

  it("declares every option that has a Pulumi type", () => {
    const typed = Object.entries(options)
      .filter(([, option]) => "pulumiType" in option && option.pulumiType !== undefined)
      .map(([key]) => key);
    expect(declared.map(([key]) => key).sort()).toEqual(typed.sort());
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
