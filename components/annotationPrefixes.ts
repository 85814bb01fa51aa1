/**
 * Which external-dns annotations of the cluster's objects a deployment would
 * leave unread. external-dns reads its annotations (hostname, target, ttl,
 * controller, cloudflare-proxied, …) under one prefix, or two on 0.23.0 with
 * --enable-legacy-annotation-prefix (externalDnsReleases.ts); an annotation
 * under any other prefix is ignored, and under `sync` the records only it asks
 * for are deleted. Every preview and up checks the objects of the watched
 * sources before anything changes (clusterChecks.ts).
 */
import type { Policy } from "../stacks/options";
import type { OptionName } from "../stacks/settings";
import {
  ANNOTATION_PREFIXES,
  type AnnotationPrefixChoice,
  type AnnotationReading,
  CURRENT_ANNOTATION_PREFIX,
  EXTERNAL_DNS_VERSIONS,
  type ExternalDnsVersion,
  LEGACY_ANNOTATION_PREFIX,
  release,
} from "./externalDnsReleases";

/** An object of a watched source, and its annotations under either external-dns prefix. */
export interface AnnotatedObject {
  /** e.g. `service/apps/web`. */
  source: string;
  /** Full annotation keys, e.g. `external-dns.alpha.kubernetes.io/hostname`. */
  keys: string[];
}

/** An object with annotations the deployment would not read. */
export interface UnreadAnnotations {
  source: string;
  /** The unread keys, each without a same-named annotation under a prefix that is read. */
  keys: string[];
}

/** How many objects a message names before "… and N more". */
const NAMED_OBJECTS = 10;

/** The keys of `annotations` under either external-dns prefix. */
export function externalDnsAnnotationKeys(
  annotations: Record<string, string> | undefined,
): string[] {
  return Object.keys(annotations ?? {})
    .filter((key) => ANNOTATION_PREFIXES.some((prefix) => key.startsWith(prefix)))
    .sort();
}

/** The annotations `prefixes` leave unread: under another prefix, and not given again under one that is read. */
export function unreadAnnotations(
  objects: readonly AnnotatedObject[],
  prefixes: readonly string[],
): UnreadAnnotations[] {
  return objects.flatMap((object) => {
    const prefixOf = (key: string) => ANNOTATION_PREFIXES.find((prefix) => key.startsWith(prefix));
    const readNames = new Set(
      object.keys
        .filter((key) => prefixes.includes(prefixOf(key) ?? ""))
        .map((key) => key.slice(prefixOf(key)?.length)),
    );
    const keys = object.keys.filter((key) => {
      const prefix = prefixOf(key);
      return (
        prefix !== undefined &&
        !prefixes.includes(prefix) &&
        !readNames.has(key.slice(prefix.length))
      );
    });
    return keys.length === 0 ? [] : [{ source: object.source, keys }];
  });
}

/** What the deployment reads, in words: `external-dns 0.22.0 reads external-dns.alpha.kubernetes.io/ only`. */
export function describeReading(version: ExternalDnsVersion, reading: AnnotationReading): string {
  const how =
    reading.chartValue !== undefined
      ? ` (--annotation-prefix=${reading.chartValue})`
      : reading.extraArgs.length > 0
        ? ` (${reading.extraArgs.join(" ")}; ${reading.prefixes[0]} wins where both give a value)`
        : " (its default)";
  const what =
    reading.prefixes.length === 1 ? `${reading.prefixes[0]} only` : reading.prefixes.join(" and ");
  return `external-dns ${version} reads ${what}${how}`;
}

/** The objects, one a line, with their unread keys. */
function listObjects(unread: readonly UnreadAnnotations[]): string[] {
  const lines = unread
    .slice(0, NAMED_OBJECTS)
    .map((object) => `  ${object.source}: ${object.keys.join(", ")}`);
  const more = unread.length - NAMED_OBJECTS;
  return more > 0 ? [...lines, `  … and ${more} more`] : lines;
}

/** What external-dns does to the records of objects whose annotations it stops reading. */
function consequence(policy: Policy): string {
  return policy === "sync"
    ? "Under sync, external-dns deletes the records that only these annotations ask for (a hostname), and records they shape (target, ttl, cloudflare-proxied) fall back to what the objects give without them."
    : `Under ${policy}, external-dns deletes nothing, but no longer creates or updates the records these annotations ask for.`;
}

/**
 * The refusal when a stack that keeps the legacy prefix would leave
 * annotations unread: on a version that reads one prefix, objects annotated
 * only under the new one. Names the objects and the ways out.
 */
export function annotationRefusal(
  unread: readonly UnreadAnnotations[],
  version: ExternalDnsVersion,
  reading: AnnotationReading,
  policy: Policy,
  name: OptionName,
): string {
  const readingBoth = EXTERNAL_DNS_VERSIONS.filter(
    (candidate) => release(candidate).legacyPrefixFlag,
  );
  const ways = [
    `annotate these objects under ${reading.prefixes.join(" and ")} too`,
    `run external-dns ${readingBoth.join(" or ")} (${name("externalDnsVersion")}), which reads both prefixes`,
    `or set ${name("annotationPrefix")} to current, which reads only ${CURRENT_ANNOTATION_PREFIX} (objects annotated only under ${LEGACY_ANNOTATION_PREFIX} are then ignored instead, which the preview names)`,
  ];
  return [
    `${describeReading(version, reading)}, and would ignore these annotations of objects it watches:`,
    ...listObjects(unread),
    consequence(policy),
    `Nothing was changed. To go ahead, ${ways.join("; ")} (docs/upgrades.md: "Annotation prefixes").`,
  ].join("\n");
}

/** What the up says when the stack opted into the new prefix while objects still carry the legacy one. */
export function annotationNotice(
  unread: readonly UnreadAnnotations[],
  version: ExternalDnsVersion,
  reading: AnnotationReading,
  policy: Policy,
): string {
  return [
    `${describeReading(version, reading)} (annotationPrefix current), so it ignores these annotations:`,
    ...listObjects(unread),
    consequence(policy),
  ].join("\n");
}

/** Whether unread annotations refuse the change (a choice that keeps the legacy prefix) or only warn (an opt-in to the new one). */
export function refusesUnread(choice: AnnotationPrefixChoice): boolean {
  return choice === "legacy";
}
