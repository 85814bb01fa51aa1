/**
 * Which annotation prefixes each external-dns version reads for a stack's
 * choice, which annotations of the cluster's objects that leaves unread, and
 * what the refusal and the notice say. What each version reads is the
 * binaries' behaviour (measured on the loopback cluster, docs/upgrades.md):
 * 0.21.0 and 0.22.0 read one prefix, 0.23.0 with
 * --enable-legacy-annotation-prefix reads both, its own winning a conflict.
 */
import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  annotationNotice,
  annotationRefusal,
  describeReading,
  externalDnsAnnotationKeys,
  unreadAnnotations,
} from "../components/annotationPrefixes";
import { annotatedObjects, declaredHostnames } from "../components/declaredHostnames";
import {
  annotationReading,
  CURRENT_ANNOTATION_PREFIX as CURRENT,
  LEGACY_ANNOTATION_PREFIX as LEGACY,
} from "../components/externalDnsReleases";
import { CONFIG_NAMING } from "../stacks/settings";

const service = (name: string, annotations: Record<string, string>): k8s.V1Service => ({
  metadata: { name, namespace: "apps", annotations },
});

describe("annotationReading", () => {
  it.each([
    ["0.21.0", "legacy", [LEGACY]],
    ["0.21.0", "current", [CURRENT]],
    ["0.22.0", "legacy", [LEGACY]],
    ["0.22.0", "current", [CURRENT]],
    ["0.23.0", "legacy", [CURRENT, LEGACY]],
    ["0.23.0", "current", [CURRENT]],
  ] as const)("external-dns %s with %s annotations reads %j", (version, choice, prefixes) => {
    expect(annotationReading(version, choice).prefixes).toEqual(prefixes);
  });

  it("says how, in words", () => {
    expect(describeReading("0.22.0", annotationReading("0.22.0", "legacy"))).toBe(
      `external-dns 0.22.0 reads ${LEGACY} only (--annotation-prefix=${LEGACY})`,
    );
    expect(describeReading("0.23.0", annotationReading("0.23.0", "legacy"))).toBe(
      `external-dns 0.23.0 reads ${CURRENT} and ${LEGACY} (--enable-legacy-annotation-prefix; ${CURRENT} wins where both give a value)`,
    );
    expect(describeReading("0.21.0", annotationReading("0.21.0", "legacy"))).toBe(
      `external-dns 0.21.0 reads ${LEGACY} only (its default)`,
    );
  });
});

describe("externalDnsAnnotationKeys", () => {
  it("keeps the keys under either prefix, and nothing else", () => {
    expect(
      externalDnsAnnotationKeys({
        [`${LEGACY}hostname`]: "a.example.com",
        [`${CURRENT}ttl`]: "60",
        "kubernetes.io/description": "x",
        "example.com/external-dns.alpha.kubernetes.io": "y",
      }),
    ).toEqual([`${LEGACY}hostname`, `${CURRENT}ttl`]);
    expect(externalDnsAnnotationKeys(undefined)).toEqual([]);
  });
});

describe("unreadAnnotations", () => {
  const objects = [
    { source: "service/apps/legacy", keys: [`${LEGACY}hostname`, `${LEGACY}target`] },
    { source: "service/apps/current", keys: [`${CURRENT}hostname`] },
    { source: "service/apps/both", keys: [`${CURRENT}hostname`, `${LEGACY}hostname`] },
    {
      source: "service/apps/mixed",
      keys: [`${CURRENT}hostname`, `${LEGACY}hostname`, `${LEGACY}ttl`],
    },
  ];

  it("leaves nothing unread when both prefixes are read", () => {
    expect(unreadAnnotations(objects, [CURRENT, LEGACY])).toEqual([]);
  });

  it("names the legacy-only annotations when only the current prefix is read", () => {
    expect(unreadAnnotations(objects, [CURRENT])).toEqual([
      { source: "service/apps/legacy", keys: [`${LEGACY}hostname`, `${LEGACY}target`] },
      { source: "service/apps/mixed", keys: [`${LEGACY}ttl`] },
    ]);
  });

  it("names the current-only annotations when only the legacy prefix is read", () => {
    expect(unreadAnnotations(objects, [LEGACY])).toEqual([
      { source: "service/apps/current", keys: [`${CURRENT}hostname`] },
    ]);
  });
});

describe("the refusal and the notice", () => {
  const unread = Array.from({ length: 12 }, (_, index) => ({
    source: `service/apps/web-${index}`,
    keys: [`${CURRENT}hostname`],
  }));
  const reading = annotationReading("0.22.0", "legacy");

  it("the refusal names the objects (ten, then a count), the consequence under sync, and three ways out", () => {
    const message = annotationRefusal(unread, "0.22.0", reading, "sync", CONFIG_NAMING.key);
    const lines = message.split("\n");
    expect(lines[0]).toBe(
      `external-dns 0.22.0 reads ${LEGACY} only (--annotation-prefix=${LEGACY}), and would ignore these annotations of objects it watches:`,
    );
    expect(lines.slice(1, 12)).toEqual([
      ...unread.slice(0, 10).map((object) => `  ${object.source}: ${CURRENT}hostname`),
      "  … and 2 more",
    ]);
    expect(lines[12]).toMatch(
      /^Under sync, external-dns deletes the records that only these annotations ask for/,
    );
    expect(lines[13]).toBe(
      `Nothing was changed. To go ahead, annotate these objects under ${LEGACY} too; ` +
        "run external-dns 0.23.0 (external-dns:externalDnsVersion), which reads both prefixes; " +
        `or set external-dns:annotationPrefix to current, which reads only ${CURRENT} (objects annotated only under ${LEGACY} are then ignored instead, which the preview names) ` +
        '(docs/upgrades.md: "Annotation prefixes").',
    );
  });

  it("under upsert-only, says nothing is deleted but nothing is updated either", () => {
    const message = annotationRefusal(unread, "0.22.0", reading, "upsert-only", CONFIG_NAMING.key);
    expect(message).toContain(
      "Under upsert-only, external-dns deletes nothing, but no longer creates or updates the records these annotations ask for.",
    );
  });

  it("the notice of an opt-in to the new prefix names the objects it stops reading", () => {
    const legacy = [{ source: "service/apps/web", keys: [`${LEGACY}hostname`] }];
    const message = annotationNotice(
      legacy,
      "0.22.0",
      annotationReading("0.22.0", "current"),
      "sync",
    );
    expect(message.split("\n").slice(0, 2)).toEqual([
      `external-dns 0.22.0 reads ${CURRENT} only (its default) (annotationPrefix current), so it ignores these annotations:`,
      `  service/apps/web: ${LEGACY}hostname`,
    ]);
  });
});

describe("the cluster's objects", () => {
  const objects = {
    services: [
      service("legacy", { [`${LEGACY}hostname`]: "legacy.example.com" }),
      service("both", {
        [`${LEGACY}hostname`]: "both-alpha.example.com",
        [`${CURRENT}hostname`]: "both-new.example.com",
      }),
      service("plain", {}),
    ],
    ingresses: [],
    routes: [
      {
        kind: "HTTPRoute",
        metadata: { name: "docs", namespace: "web", annotations: { [`${CURRENT}ttl`]: "60" } },
        spec: { hostnames: ["docs.example.org"] },
      },
    ],
    gateways: [
      {
        kind: "Gateway",
        metadata: {
          name: "edge",
          namespace: "gw",
          annotations: { [`${LEGACY}target`]: "203.0.113.9" },
        },
      },
    ],
  };

  it("declare Service hostnames under the first prefix read that has one, as external-dns does", () => {
    const hostnames = (prefixes: string[]) =>
      declaredHostnames(objects, prefixes)
        .filter((entry) => entry.source.startsWith("service/"))
        .map((entry) => entry.hostname);
    expect(hostnames([LEGACY])).toEqual(["legacy.example.com", "both-alpha.example.com"]);
    expect(hostnames([CURRENT])).toEqual(["both-new.example.com"]);
    expect(hostnames([CURRENT, LEGACY])).toEqual(["legacy.example.com", "both-new.example.com"]);
  });

  it("carry their external-dns annotations, Gateways and routes included", () => {
    expect(annotatedObjects(objects)).toEqual([
      { source: "service/apps/legacy", keys: [`${LEGACY}hostname`] },
      { source: "service/apps/both", keys: [`${LEGACY}hostname`, `${CURRENT}hostname`] },
      { source: "httproute/web/docs", keys: [`${CURRENT}ttl`] },
      { source: "gateway/gw/edge", keys: [`${LEGACY}target`] },
    ]);
  });
});
