/**
 * The external-dns chart values, the container arguments the chart renders from
 * them, and the Gateway API CRDs the configured sources need.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import {
  CHART_NAME,
  type ChartValues,
  chartSource,
  chartValues,
  containerArgs,
  extraArgs,
  SECRET_CHECKSUM_ANNOTATION,
  tokenRolloutChecksum,
} from "../components/chartValues";
import {
  ANNOTATION_PREFIX_CHOICES,
  CHART_VERSIONS,
  type ChartVersion,
  EXTERNAL_DNS_VERSIONS,
  type ExternalDnsVersion,
  SUPPORTED_CHARTS,
} from "../components/externalDnsReleases";
import {
  crdShortfalls,
  missingCrdsMessage,
  requiredGatewayCrds,
  uncheckedCrdsMessage,
} from "../components/gatewayApi";
import type { Source } from "../stacks/options";
import { CONFIG_NAMING, loadSettings, type Settings } from "../stacks/settings";

const FIXTURES = join(__dirname, "fixtures");

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  [keyword: string]: unknown;
}

/** Each supported chart's values.schema.json (tests/fixtures/, copied from the packaged charts). */
const CHART_SCHEMAS = Object.fromEntries(
  CHART_VERSIONS.map((chart) => [
    chart,
    JSON.parse(
      readFileSync(join(FIXTURES, `external-dns-chart-${chart}.values.schema.json`), "utf8"),
    ) as SchemaNode,
  ]),
) as Record<ChartVersion, SchemaNode>;

/** Each supported external-dns version's flags, from its `--help` (tests/fixtures/README.md). */
const FLAGS = Object.fromEntries(
  EXTERNAL_DNS_VERSIONS.map((version) => [
    version,
    new Set(
      (
        JSON.parse(readFileSync(join(FIXTURES, `external-dns-${version}-flags.json`), "utf8")) as {
          flags: string[];
        }
      ).flags,
    ),
  ]),
) as Record<ExternalDnsVersion, Set<string>>;

/** Every chart, external-dns version and annotation prefix this program deploys. */
const DEPLOYMENTS = CHART_VERSIONS.flatMap((chart) =>
  SUPPORTED_CHARTS[chart].externalDnsVersions.flatMap((version) =>
    ANNOTATION_PREFIX_CHOICES.map((annotationPrefix) => ({
      name: `chart ${chart}, external-dns ${version}, ${annotationPrefix} annotations`,
      chart,
      version,
      raw: { chartVersion: chart, externalDnsVersion: version, annotationPrefix },
    })),
  ),
);

const AGE_RECIPIENT = "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc";
const ZONE_COM = "023e105f4ecef8ad9ca31a8372d0c353";
const ZONE_ORG = "9a7806061c88ada191ed06f989cc3dac";
const CHECKSUM = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/** Settings from raw config strings, as Pulumi delivers them; must load as enabled. */
function settingsOf(raw: Record<string, string> = {}): Settings {
  const loaded = loadSettings({
    zones: JSON.stringify(["example.com"]),
    txtOwnerId: "test-cluster",
    sopsAgeRecipients: JSON.stringify([AGE_RECIPIENT]),
    ...raw,
  });
  expect(loaded.kind, JSON.stringify(loaded)).toBe("enabled");
  if (loaded.kind !== "enabled") throw new Error("settings did not load as enabled");
  return loaded.settings;
}

const defaults = (): Settings => settingsOf();

/** The two ways to filter hostnames; external-dns takes one or the other. */
const LIST_FILTERS = {
  domainFilters: JSON.stringify(["example.com", "apps.example.org"]),
  excludeDomains: JSON.stringify(["internal.example.com", "legacy.apps.example.org"]),
};
const REGEX_FILTERS = {
  regexDomainFilter: "^([a-z0-9-]+\\.)*example\\.(com|org)$",
  regexDomainExclusion: "^staging-[a-z0-9-]+\\.example\\.com$",
};
const FILTER_MODES = { "domain lists": LIST_FILTERS, regexes: REGEX_FILTERS };

/** Every option that changes the chart values or the arguments, turned on. */
const allOptions = (
  filters: Record<string, string> = LIST_FILTERS,
  deployment: Record<string, string> = {},
): Settings =>
  settingsOf({
    ...deployment,
    zones: JSON.stringify([
      { name: "example.com", id: ZONE_COM },
      { name: "example.org", id: ZONE_ORG },
    ]),
    ...filters,
    sources: JSON.stringify(["service", "ingress", "gateway-httproute", "gateway-grpcroute"]),
    policy: "upsert-only",
    proxied: "true",
    dryRun: "true",
    triggerLoopOnEvent: "true",
    recordsPerPage: "100",
    interval: "2m",
    resources: JSON.stringify({
      requests: { cpu: "100m", memory: "96Mi" },
      limits: { cpu: "250m", memory: "256Mi" },
    }),
  });

function validateAgainstChartSchema(values: unknown, schema: SchemaNode): string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  if (validate(values)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Key paths of `value` the chart does not know. Where the schema lists
 * `properties`, every key must be one of them; free-form nodes (maps such as
 * podAnnotations, arrays such as env) end the walk.
 */
function unknownKeyPaths(value: unknown, schema: SchemaNode, path = ""): string[] {
  if (!isPlainObject(value) || schema.properties === undefined) return [];
  const properties = schema.properties;
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path === "" ? key : `${path}.${key}`;
    const childSchema = properties[key];
    if (childSchema === undefined) return [childPath];
    return unknownKeyPaths(child, childSchema, childPath);
  });
}

/** The flag of an argument: the part before "=". */
function flagOf(arg: string): string {
  const index = arg.indexOf("=");
  return index === -1 ? arg : arg.slice(0, index);
}

describe.each(DEPLOYMENTS)(
  "chartValues against the chart's values.schema.json: $name",
  ({ chart, version, raw }) => {
    const schema = CHART_SCHEMAS[chart];
    const flags = FLAGS[version];
    const plain = settingsOf(raw);

    it("validates for the default settings", () => {
      expect(validateAgainstChartSchema(chartValues(plain, [ZONE_COM], CHECKSUM), schema)).toEqual(
        [],
      );
    });

    it.each(Object.entries(FILTER_MODES))(
      "validates with every option turned on (%s)",
      (_, filters) => {
        expect(
          validateAgainstChartSchema(
            chartValues(allOptions(filters, raw), [ZONE_COM, ZONE_ORG], CHECKSUM),
            schema,
          ),
        ).toEqual([]);
      },
    );

    it("the schema check can fail", () => {
      const values = { ...chartValues(plain, [ZONE_COM], CHECKSUM), policy: "delete-all" };
      expect(validateAgainstChartSchema(values, schema)).not.toEqual([]);
    });

    it("uses no key the chart would ignore", () => {
      expect(unknownKeyPaths(chartValues(plain, [ZONE_COM], CHECKSUM), schema)).toEqual([]);
      for (const filters of Object.values(FILTER_MODES)) {
        expect(
          unknownKeyPaths(
            chartValues(allOptions(filters, raw), [ZONE_COM, ZONE_ORG], CHECKSUM),
            schema,
          ),
        ).toEqual([]);
      }
    });

    it("passes only flags this external-dns has, with the defaults and with every option on", () => {
      const unknownFlags = (settings: Settings) =>
        containerArgs(chartValues(settings, [ZONE_COM, ZONE_ORG], CHECKSUM))
          .map(flagOf)
          .filter((flag) => !flags.has(flag));
      expect(unknownFlags(plain)).toEqual([]);
      for (const filters of Object.values(FILTER_MODES))
        expect(unknownFlags(allOptions(filters, raw))).toEqual([]);
    });
  },
);

describe("the checks against the chart's schema and external-dns's flags", () => {
  it("the unknown-key walk reports unknown keys at the top and nested", () => {
    const values = chartValues(allOptions(), [ZONE_COM, ZONE_ORG], CHECKSUM);
    const tampered = {
      ...values,
      notAValue: 1,
      resources: { ...values.resources, limits: { ...values.resources.limits, gpu: "1" } },
    };
    expect(unknownKeyPaths(tampered, CHART_SCHEMAS["1.22.0"]).sort()).toEqual([
      "notAValue",
      "resources.limits.gpu",
    ]);
  });

  it("the unknown-key walk stops at free-form maps and arrays", () => {
    const values = chartValues(defaults(), [ZONE_COM], CHECKSUM);
    const extended = {
      ...values,
      podAnnotations: { ...values.podAnnotations, "example.com/anything": "x" },
      env: [...values.env, { name: "EXTRA", value: "1", whatever: true }],
    };
    expect(unknownKeyPaths(extended, CHART_SCHEMAS["1.22.0"])).toEqual([]);
  });

  it("chart 1.22.0 requires the policy, 1.21.1 does not", () => {
    const { policy: _policy, ...withoutPolicy } = chartValues(defaults(), [ZONE_COM], CHECKSUM);
    expect(validateAgainstChartSchema(withoutPolicy, CHART_SCHEMAS["1.22.0"])).toEqual([
      " must have required property 'policy'",
    ]);
    expect(validateAgainstChartSchema(withoutPolicy, CHART_SCHEMAS["1.21.1"])).toEqual([]);
  });

  it("each flag list is its version's and holds the flags this program uses", () => {
    for (const version of EXTERNAL_DNS_VERSIONS) {
      expect(FLAGS[version].size).toBeGreaterThan(100);
      expect(FLAGS[version].has("--zone-id-filter")).toBe(true);
      expect(FLAGS[version].has("--not-a-flag")).toBe(false);
    }
    expect(FLAGS["0.21.0"].has("--enable-legacy-annotation-prefix")).toBe(false);
    expect(FLAGS["0.22.0"].has("--enable-legacy-annotation-prefix")).toBe(false);
    expect(FLAGS["0.23.0"].has("--enable-legacy-annotation-prefix")).toBe(true);
  });
});

describe("extraArgs", () => {
  it("names one --zone-id-filter per zone id, in order", () => {
    const args = extraArgs(defaults(), [ZONE_ORG, ZONE_COM]);
    expect(args.filter((arg) => arg.startsWith("--zone-id-filter="))).toEqual([
      `--zone-id-filter=${ZONE_ORG}`,
      `--zone-id-filter=${ZONE_COM}`,
    ]);
    expect(args.slice(0, 2)).toEqual([
      `--zone-id-filter=${ZONE_ORG}`,
      `--zone-id-filter=${ZONE_COM}`,
    ]);
  });

  it("has no --zone-id-filter without zone ids", () => {
    expect(extraArgs(defaults(), []).some((arg) => arg.startsWith("--zone-id-filter"))).toBe(false);
  });

  it("sets proxying explicitly either way", () => {
    const off = extraArgs(defaults(), [ZONE_COM]);
    expect(off).toContain("--no-cloudflare-proxied");
    expect(off).not.toContain("--cloudflare-proxied");

    const on = extraArgs(settingsOf({ proxied: "true" }), [ZONE_COM]);
    expect(on).toContain("--cloudflare-proxied");
    expect(on).not.toContain("--no-cloudflare-proxied");
  });

  it("passes the records per page", () => {
    expect(extraArgs(defaults(), [ZONE_COM])).toContain("--cloudflare-dns-records-per-page=5000");
    expect(extraArgs(settingsOf({ recordsPerPage: "100" }), [ZONE_COM])).toContain(
      "--cloudflare-dns-records-per-page=100",
    );
  });

  it("adds the regex flags only when set", () => {
    const plain = extraArgs(defaults(), [ZONE_COM]);
    expect(plain.some((arg) => arg.startsWith("--regex-"))).toBe(false);

    const filterOnly = extraArgs(settingsOf({ regexDomainFilter: "^a\\.example\\.com$" }), [
      ZONE_COM,
    ]);
    expect(filterOnly).toContain("--regex-domain-filter=^a\\.example\\.com$");
    expect(filterOnly.some((arg) => arg.startsWith("--regex-domain-exclusion"))).toBe(false);

    const exclusionOnly = extraArgs(settingsOf({ regexDomainExclusion: "^b\\.example\\.com$" }), [
      ZONE_COM,
    ]);
    expect(exclusionOnly).toContain("--regex-domain-exclusion=^b\\.example\\.com$");
    expect(exclusionOnly.some((arg) => arg.startsWith("--regex-domain-filter"))).toBe(false);
  });

  it("adds --dry-run only when dryRun", () => {
    expect(extraArgs(defaults(), [ZONE_COM])).not.toContain("--dry-run");
    expect(extraArgs(settingsOf({ dryRun: "true" }), [ZONE_COM])).toContain("--dry-run");
    expect(extraArgs(settingsOf({ dryRun: "false" }), [ZONE_COM])).not.toContain("--dry-run");
  });

  it("is exactly the zone filters and the Cloudflare flags for the defaults", () => {
    expect(extraArgs(defaults(), [ZONE_COM])).toEqual([
      `--zone-id-filter=${ZONE_COM}`,
      "--no-cloudflare-proxied",
      "--cloudflare-dns-records-per-page=5000",
    ]);
  });

  it("has no duplicates (the chart schema wants unique extraArgs)", () => {
    const args = extraArgs(allOptions(), [ZONE_COM, ZONE_ORG]);
    expect(new Set(args).size).toBe(args.length);
  });
});

describe("chartValues", () => {
  it("selects the Cloudflare provider", () => {
    expect(chartValues(defaults(), [ZONE_COM], CHECKSUM).provider).toEqual({ name: "cloudflare" });
  });

  it("reads the token from the operator's Secret, and nothing else into env", () => {
    expect(chartValues(defaults(), [ZONE_COM], CHECKSUM).env).toEqual([
      {
        name: "CF_API_TOKEN",
        valueFrom: { secretKeyRef: { name: "cloudflare-api-token", key: "CF_API_TOKEN" } },
      },
    ]);
  });

  it("never carries a token value itself, only the reference", () => {
    const values = chartValues(allOptions(), [ZONE_COM, ZONE_ORG], CHECKSUM);
    for (const variable of values.env) expect(variable).not.toHaveProperty("value");
  });

  it("always sets the policy explicitly, also the default sync (the chart defaults to upsert-only)", () => {
    expect(chartValues(defaults(), [ZONE_COM], CHECKSUM).policy).toBe("sync");
    expect(chartValues(allOptions(), [ZONE_COM], CHECKSUM).policy).toBe("upsert-only");
    expect(chartValues(settingsOf({ policy: "create-only" }), [ZONE_COM], CHECKSUM).policy).toBe(
      "create-only",
    );
  });

  it("uses the txt registry", () => {
    expect(chartValues(defaults(), [ZONE_COM], CHECKSUM).registry).toBe("txt");
  });

  it("copies the settings, with the defaults", () => {
    const settings = defaults();
    const values = chartValues(settings, [ZONE_COM], CHECKSUM);
    expect(values).toMatchObject({
      sources: ["service", "ingress"],
      txtOwnerId: "test-cluster",
      txtPrefix: "externaldns-%{record_type}.",
      domainFilters: ["example.com"],
      excludeDomains: [],
      interval: "1m",
      triggerLoopOnEvent: false,
      resources: {
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { cpu: "100m", memory: "128Mi" },
      },
    });
  });

  it("copies the settings, with every option on", () => {
    const settings = allOptions();
    const values = chartValues(settings, [ZONE_COM, ZONE_ORG], CHECKSUM);
    expect(values).toMatchObject({
      sources: ["service", "ingress", "gateway-httproute", "gateway-grpcroute"],
      txtOwnerId: settings.txtOwnerId,
      txtPrefix: settings.txtPrefix,
      domainFilters: ["example.com", "apps.example.org"],
      excludeDomains: ["internal.example.com", "legacy.apps.example.org"],
      interval: "2m",
      triggerLoopOnEvent: true,
      resources: {
        requests: { cpu: "100m", memory: "96Mi" },
        limits: { cpu: "250m", memory: "256Mi" },
      },
      extraArgs: extraArgs(settings, [ZONE_COM, ZONE_ORG]),
    });
  });

  it("fills partial resources from the defaults", () => {
    const settings = settingsOf({ resources: JSON.stringify({ limits: { memory: "512Mi" } }) });
    expect(chartValues(settings, [ZONE_COM], CHECKSUM).resources).toEqual({
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { cpu: "100m", memory: "512Mi" },
    });
  });

  it("does not share mutable lists with the settings", () => {
    const settings = allOptions();
    const values = chartValues(settings, [ZONE_COM], CHECKSUM);
    values.sources.push("node");
    values.domainFilters.push("x.example.com");
    values.excludeDomains.push("y.example.com");
    expect(settings.sources).not.toContain("node");
    expect(settings.domainFilters).not.toContain("x.example.com");
    expect(settings.excludeDomains).not.toContain("y.example.com");
  });

  it("carries the secret checksum as the only pod annotation", () => {
    expect(SECRET_CHECKSUM_ANNOTATION).toBe("checksum/cloudflare-sops-secret");
    expect(chartValues(defaults(), [ZONE_COM], CHECKSUM).podAnnotations).toEqual({
      [SECRET_CHECKSUM_ANNOTATION]: CHECKSUM,
    });
    expect(chartValues(defaults(), [ZONE_COM], "other").podAnnotations).toEqual({
      [SECRET_CHECKSUM_ANNOTATION]: "other",
    });
  });

  it("sets exactly the expected top-level keys", () => {
    expect(Object.keys(chartValues(defaults(), [ZONE_COM], CHECKSUM)).sort()).toEqual(
      [
        "annotationPrefix",
        "provider",
        "env",
        "sources",
        "policy",
        "registry",
        "txtOwnerId",
        "txtPrefix",
        "domainFilters",
        "excludeDomains",
        "interval",
        "triggerLoopOnEvent",
        "extraArgs",
        "podAnnotations",
        "resources",
      ].sort(),
    );
  });
});

describe("tokenRolloutChecksum", () => {
  const base = {
    tokenName: "external-dns production (owner prod, period from 2026-10-25)",
    tokenExpiresOn: "2027-02-06T00:00:00Z",
    tokenAccountId: "9a7806061c88ada191ed06f989cc3dac",
    recipients: [AGE_RECIPIENT, "age1sppnsegw58drw5uswwnzjeraghzdmmc7evs03v0nssw9hlh44dlqhjdf5g"],
    namespace: "external-dns",
  };

  it("changes with each input that means a new token or a re-encryption", () => {
    const changes = [
      { tokenName: "external-dns production (owner prod, period from 2027-01-23)" },
      { tokenExpiresOn: "2027-05-07T00:00:00Z" },
      { tokenExpiresOn: undefined },
      { tokenAccountId: undefined },
      { recipients: [AGE_RECIPIENT] },
      { namespace: "dns" },
    ];
    const checksums = new Set(
      [base, ...changes.map((change) => ({ ...base, ...change }))].map(tokenRolloutChecksum),
    );
    expect(checksums.size).toBe(changes.length + 1);
  });

  it("stays the same otherwise, whatever the order of the recipients", () => {
    expect(tokenRolloutChecksum({ ...base, recipients: [...base.recipients].reverse() })).toBe(
      tokenRolloutChecksum(base),
    );
    expect(tokenRolloutChecksum(base)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("containerArgs", () => {
  it("renders in the chart template's order, with every option on", () => {
    const values = chartValues(allOptions(), [ZONE_COM, ZONE_ORG], CHECKSUM);
    expect(containerArgs(values)).toEqual([
      "--log-level=info",
      "--log-format=text",
      "--interval=2m",
      "--events",
      "--source=service",
      "--source=ingress",
      "--source=gateway-httproute",
      "--source=gateway-grpcroute",
      "--policy=upsert-only",
      "--registry=txt",
      "--txt-owner-id=test-cluster",
      "--txt-prefix=externaldns-%{record_type}.",
      "--domain-filter=example.com",
      "--domain-filter=apps.example.org",
      "--exclude-domains=internal.example.com",
      "--exclude-domains=legacy.apps.example.org",
      "--annotation-prefix=external-dns.alpha.kubernetes.io/",
      "--provider=cloudflare",
      `--zone-id-filter=${ZONE_COM}`,
      `--zone-id-filter=${ZONE_ORG}`,
      "--cloudflare-proxied",
      "--cloudflare-dns-records-per-page=100",
      "--dry-run",
    ]);
  });

  it("renders the regexes and no domain lists when the regexes decide", () => {
    const args = containerArgs(chartValues(allOptions(REGEX_FILTERS), [ZONE_COM], CHECKSUM));
    expect(args.filter((arg) => /^--(domain-filter|exclude-domains|regex-)/.test(arg))).toEqual([
      "--regex-domain-filter=^([a-z0-9-]+\\.)*example\\.(com|org)$",
      "--regex-domain-exclusion=^staging-[a-z0-9-]+\\.example\\.com$",
    ]);
    const exclusionOnly = settingsOf({ regexDomainExclusion: "^staging\\." });
    expect(
      containerArgs(chartValues(exclusionOnly, [ZONE_COM], CHECKSUM)).filter((arg) =>
        /^--(domain-filter|exclude-domains|regex-)/.test(arg),
      ),
    ).toEqual(["--regex-domain-exclusion=^staging\\."]);
  });

  it("renders the defaults: no --events, no exclusions, sync", () => {
    expect(containerArgs(chartValues(defaults(), [ZONE_COM], CHECKSUM))).toEqual([
      "--log-level=info",
      "--log-format=text",
      "--interval=1m",
      "--source=service",
      "--source=ingress",
      "--policy=sync",
      "--registry=txt",
      "--txt-owner-id=test-cluster",
      "--txt-prefix=externaldns-%{record_type}.",
      "--domain-filter=example.com",
      "--annotation-prefix=external-dns.alpha.kubernetes.io/",
      "--provider=cloudflare",
      `--zone-id-filter=${ZONE_COM}`,
      "--no-cloudflare-proxied",
      "--cloudflare-dns-records-per-page=5000",
    ]);
  });

  it("keeps the legacy annotations effective on each version, and reads only the new prefix when asked", () => {
    const annotationArgs = (raw: Record<string, string>) =>
      containerArgs(chartValues(settingsOf(raw), [ZONE_COM], CHECKSUM)).filter((arg) =>
        arg.includes("annotation-prefix"),
      );
    const on = (chartVersion: string, externalDnsVersion: string, annotationPrefix: string) =>
      annotationArgs({ chartVersion, externalDnsVersion, annotationPrefix });
    expect(on("1.21.1", "0.21.0", "legacy")).toEqual([]);
    expect(on("1.21.1", "0.21.0", "current")).toEqual([
      "--annotation-prefix=external-dns.kubernetes.io/",
    ]);
    expect(on("1.22.0", "0.22.0", "legacy")).toEqual([
      "--annotation-prefix=external-dns.alpha.kubernetes.io/",
    ]);
    expect(on("1.22.0", "0.22.0", "current")).toEqual([]);
    expect(on("1.22.0", "0.23.0", "legacy")).toEqual(["--enable-legacy-annotation-prefix"]);
    expect(on("1.22.0", "0.23.0", "current")).toEqual([]);
  });

  it("sets the image tag only for another external-dns than the chart's", () => {
    const image = (raw: Record<string, string>) =>
      chartValues(settingsOf(raw), [ZONE_COM], CHECKSUM).image;
    expect(image({})).toBeUndefined();
    expect(image({ chartVersion: "1.21.1" })).toBeUndefined();
    expect(image({ externalDnsVersion: "0.22.0" })).toBeUndefined();
    expect(image({ externalDnsVersion: "0.23.0" })).toEqual({ tag: "v0.23.0" });
  });

  it("skips --txt-owner-id and --txt-prefix when empty, as the template does", () => {
    const values: ChartValues = {
      ...chartValues(defaults(), [ZONE_COM], CHECKSUM),
      txtOwnerId: "",
      txtPrefix: "",
    };
    const args = containerArgs(values);
    expect(args.some((arg) => arg.startsWith("--txt-owner-id"))).toBe(false);
    expect(args.some((arg) => arg.startsWith("--txt-prefix"))).toBe(false);
  });
});

describe("chartSource", () => {
  it("uses repositoryOpts for an https repository", () => {
    const repo = "https://kubernetes-sigs.github.io/external-dns/";
    expect(chartSource(repo)).toEqual({ chart: "external-dns", repositoryOpts: { repo } });
    expect(CHART_NAME).toBe("external-dns");
  });

  it("puts an OCI registry into the chart reference, without repositoryOpts", () => {
    const source = chartSource("oci://registry.example.com/charts/");
    expect(source).toEqual({ chart: "oci://registry.example.com/charts/external-dns" });
    expect(source).not.toHaveProperty("repositoryOpts");
  });

  it("handles an OCI registry without a trailing slash", () => {
    expect(chartSource("oci://registry.example.com/charts")).toEqual({
      chart: "oci://registry.example.com/charts/external-dns",
    });
  });
});

describe("requiredGatewayCrds", () => {
  const group = "gateway.networking.k8s.io";
  const gateways = { name: `gateways.${group}`, version: "v1" };

  it("needs nothing for service and ingress", () => {
    expect(requiredGatewayCrds(["service", "ingress"], "0.22.0")).toEqual([]);
    expect(requiredGatewayCrds([], "0.22.0")).toEqual([]);
  });

  it("needs nothing for sources outside the Gateway API", () => {
    expect(requiredGatewayCrds(["istio-gateway", "crd", "traefik-proxy"], "0.22.0")).toEqual([]);
  });

  it("needs Gateways and HTTPRoutes at v1 for gateway-httproute", () => {
    expect(requiredGatewayCrds(["service", "gateway-httproute"], "0.22.0")).toEqual([
      gateways,
      { name: `httproutes.${group}`, version: "v1" },
    ]);
  });

  // The versions of each release's informers (source/gateway_*.go), as each binary fails or starts.
  it.each([
    ["0.21.0", "gateway-grpcroute", "grpcroutes", "v1"],
    ["0.21.0", "gateway-tlsroute", "tlsroutes", "v1alpha2"],
    ["0.21.0", "gateway-tcproute", "tcproutes", "v1alpha2"],
    ["0.21.0", "gateway-udproute", "udproutes", "v1alpha2"],
    ["0.22.0", "gateway-grpcroute", "grpcroutes", "v1"],
    ["0.22.0", "gateway-tlsroute", "tlsroutes", "v1"],
    ["0.22.0", "gateway-tcproute", "tcproutes", "v1alpha2"],
    ["0.22.0", "gateway-udproute", "udproutes", "v1alpha2"],
    ["0.23.0", "gateway-tlsroute", "tlsroutes", "v1"],
    ["0.23.0", "gateway-tcproute", "tcproutes", "v1alpha2"],
  ] as const)(
    "external-dns %s needs Gateways and the route CRD for %s, at the version it reads",
    (release, source, plural, version) => {
      expect(requiredGatewayCrds([source], release)).toEqual([
        gateways,
        { name: `${plural}.${group}`, version },
      ]);
    },
  );

  it("names Gateways once for several route sources", () => {
    const crds = requiredGatewayCrds(
      ["gateway-httproute", "ingress", "gateway-tlsroute"],
      "0.22.0",
    );
    expect(crds.map((crd) => crd.name)).toEqual([
      `gateways.${group}`,
      `httproutes.${group}`,
      `tlsroutes.${group}`,
    ]);
  });

  it("finds CRDs that are missing or do not serve the needed version", () => {
    const required = requiredGatewayCrds(
      ["gateway-httproute", "gateway-tlsroute", "gateway-udproute"],
      "0.21.0",
    );
    const served: Record<string, string[]> = {
      [`gateways.${group}`]: ["v1", "v1beta1"],
      [`httproutes.${group}`]: ["v1"],
      [`tlsroutes.${group}`]: ["v1"],
    };
    expect(crdShortfalls(required, (name) => served[name])).toEqual([
      { crd: { name: `tlsroutes.${group}`, version: "v1alpha2" }, served: ["v1"] },
      { crd: { name: `udproutes.${group}`, version: "v1alpha2" } },
    ]);
    served[`tlsroutes.${group}`] = ["v1", "v1alpha2"];
    served[`udproutes.${group}`] = ["v1alpha2"];
    expect(crdShortfalls(required, (name) => served[name])).toEqual([]);
  });

  it("the error names the missing CRDs, the gateway sources and the install step", () => {
    const sources: Source[] = ["service", "gateway-httproute", "gateway-grpcroute"];
    const message = missingCrdsMessage(
      [{ crd: { name: `grpcroutes.${group}`, version: "v1" } }],
      sources,
      CONFIG_NAMING.key,
      "0.22.0",
    );
    expect(message).toContain(`but the cluster lacks the Gateway API CRDs grpcroutes.${group};`);
    expect(message).toContain("includes gateway-httproute, gateway-grpcroute,");
    expect(message).not.toContain("service");
    expect(message).toContain("Nothing was changed.");
    expect(message).toContain("standard channel v1.6 or later: kubectl apply");
  });

  it("the error names a CRD that does not serve the version, and the experimental channel when a route is read at v1alpha2", () => {
    const sources: Source[] = ["gateway-httproute", "gateway-tlsroute"];
    const message = missingCrdsMessage(
      [
        { crd: { name: `httproutes.${group}`, version: "v1" } },
        { crd: { name: `tlsroutes.${group}`, version: "v1alpha2" }, served: ["v1"] },
      ],
      sources,
      CONFIG_NAMING.key,
      "0.21.0",
    );
    expect(message).toContain(
      `but the cluster lacks the Gateway API CRDs httproutes.${group}; tlsroutes.${group} serves v1, not v1alpha2, the version external-dns 0.21.0 reads;`,
    );
    expect(message).toContain(
      `experimental channel v1.6 or later (external-dns 0.21.0 reads tlsroutes.${group} at v1alpha2, which the standard channel no longer serves)`,
    );
    expect(message).toContain("/experimental-install.yaml");
  });

  it("the warning names every CRD it could not check, and why", () => {
    const sources: Source[] = ["gateway-grpcroute"];
    const message = uncheckedCrdsMessage(
      requiredGatewayCrds(sources, "0.22.0"),
      sources,
      "ECONNREFUSED",
    );
    expect(message).toContain(`gateways.${group} (v1), grpcroutes.${group} (v1)`);
    expect(message).toContain("(ECONNREFUSED)");
  });
});
