/**
 * The external-dns charts and releases this program deploys, and what about
 * each one it depends on. Everything version-dependent (the chart values, the
 * container arguments, the Gateway API versions, which annotations are read)
 * derives from here.
 *
 * Sources: the charts' values.schema.json, values.yaml and templates
 * (tests/fixtures/, chart 1.22.0's CHANGELOG), each binary's `--help`
 * (tests/fixtures/external-dns-<version>-flags.json), and the sources of
 * v0.21.0 and v0.22.0 (source/annotations/annotations.go: the default prefix;
 * source/gateway_*.go: the route versions). v0.23.0's behaviour where its
 * source was not available here is the binary's, as the e2e suite runs it.
 */

/** The charts this program renders and checks, and the external-dns versions it runs with each. */
export const SUPPORTED_CHARTS = {
  "1.21.1": { appVersion: "0.21.0", externalDnsVersions: ["0.21.0"] },
  "1.22.0": { appVersion: "0.22.0", externalDnsVersions: ["0.22.0", "0.23.0"] },
} as const satisfies Record<string, { appVersion: string; externalDnsVersions: readonly string[] }>;

export type ChartVersion = keyof typeof SUPPORTED_CHARTS;
export const CHART_VERSIONS = Object.keys(SUPPORTED_CHARTS) as ChartVersion[];
export const DEFAULT_CHART_VERSION: ChartVersion = "1.22.0";

export type ExternalDnsVersion =
  (typeof SUPPORTED_CHARTS)[ChartVersion]["externalDnsVersions"][number];
export const EXTERNAL_DNS_VERSIONS = [
  ...new Set(CHART_VERSIONS.flatMap((chart) => SUPPORTED_CHARTS[chart].externalDnsVersions)),
] as ExternalDnsVersion[];

/** The annotation prefix of external-dns up to 0.21. */
export const LEGACY_ANNOTATION_PREFIX = "external-dns.alpha.kubernetes.io/";
/** The annotation prefix external-dns reads by default from 0.22.0 on. */
export const CURRENT_ANNOTATION_PREFIX = "external-dns.kubernetes.io/";
export const ANNOTATION_PREFIXES = [LEGACY_ANNOTATION_PREFIX, CURRENT_ANNOTATION_PREFIX] as const;

/** What a release does that this program depends on. */
interface ExternalDnsRelease {
  /** `--annotation-prefix`'s default. */
  defaultAnnotationPrefix: string;
  /** Whether it has `--enable-legacy-annotation-prefix` (read the legacy prefix besides the configured one). */
  legacyPrefixFlag: boolean;
  /** The API version its gateway-tlsroute source lists TLSRoutes at. */
  tlsRouteVersion: "v1alpha2" | "v1";
}

const RELEASES: Record<ExternalDnsVersion, ExternalDnsRelease> = {
  "0.21.0": {
    defaultAnnotationPrefix: LEGACY_ANNOTATION_PREFIX,
    legacyPrefixFlag: false,
    tlsRouteVersion: "v1alpha2",
  },
  // kubernetes-sigs/external-dns#6424 (the prefix), #6367 (TLSRoute v1).
  "0.22.0": {
    defaultAnnotationPrefix: CURRENT_ANNOTATION_PREFIX,
    legacyPrefixFlag: false,
    tlsRouteVersion: "v1",
  },
  // kubernetes-sigs/external-dns#6703: --enable-legacy-annotation-prefix.
  "0.23.0": {
    defaultAnnotationPrefix: CURRENT_ANNOTATION_PREFIX,
    legacyPrefixFlag: true,
    tlsRouteVersion: "v1",
  },
};

export function release(version: ExternalDnsVersion): ExternalDnsRelease {
  return RELEASES[version];
}

/** The external-dns version a chart runs unless told otherwise: its appVersion. */
export function chartAppVersion(chart: ChartVersion): ExternalDnsVersion {
  return SUPPORTED_CHARTS[chart].appVersion;
}

/**
 * Which annotation prefix a stack asks for: `legacy` keeps the annotations
 * clusters have today (`external-dns.alpha.kubernetes.io/`) effective on every
 * version; `current` reads only `external-dns.kubernetes.io/`.
 */
export const ANNOTATION_PREFIX_CHOICES = ["legacy", "current"] as const;
export type AnnotationPrefixChoice = (typeof ANNOTATION_PREFIX_CHOICES)[number];

/** How external-dns is told which annotations to read, and which it then reads. */
export interface AnnotationReading {
  /** The prefixes external-dns reads, the one that wins first. */
  prefixes: string[];
  /** The chart value `annotationPrefix` (`--annotation-prefix`), where the version's default is not the one. */
  chartValue?: string;
  /** Flags without a chart value. */
  extraArgs: string[];
}

export function annotationReading(
  version: ExternalDnsVersion,
  choice: AnnotationPrefixChoice,
): AnnotationReading {
  const { defaultAnnotationPrefix, legacyPrefixFlag } = release(version);
  const wanted = choice === "legacy" ? LEGACY_ANNOTATION_PREFIX : CURRENT_ANNOTATION_PREFIX;
  if (wanted === defaultAnnotationPrefix) return { prefixes: [wanted], extraArgs: [] };
  // 0.23.0 reads the legacy prefix besides its own; on a conflict its own wins.
  if (choice === "legacy" && legacyPrefixFlag)
    return {
      prefixes: [defaultAnnotationPrefix, LEGACY_ANNOTATION_PREFIX],
      extraArgs: ["--enable-legacy-annotation-prefix"],
    };
  return { prefixes: [wanted], chartValue: wanted, extraArgs: [] };
}
