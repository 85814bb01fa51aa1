/**
 * `npm run fleet -- --live`, the pure part (fleet/liveReport.ts): deployed
 * stacks read off `pulumi stack export`, ownership records grouped by owner as
 * external-dns 0.21 reads them, owners no stack declares, and what removing
 * one deletes. The CLI against a real backend and the stand-in is in e2e/fleet.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { DnsRecord } from "../components/cloudflareRecords";
import { renderLive } from "../fleet/live";
import { deployedStackOf, liveReport, removalPlan } from "../fleet/liveReport";
import { enabled, stackKeys } from "./support/fleet";

const COM = "023e105f4ecef8ad9ca31a8372d0c353";
const ownership = (owner: string, resource = "service/ns/web") =>
  `"heritage=external-dns,external-dns/owner=${owner},external-dns/resource=${resource}"`;

let nextId = 0;
function record(type: string, name: string, content: string): DnsRecord {
  nextId += 1;
  return { id: `r${nextId}`, type, name, content, ttl: 1 };
}

/** The root resource of a `pulumi stack export`, as the CLI writes it. */
function exported(outputs: Record<string, unknown>) {
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-12-05T12:00:00Z" },
      resources: [
        {
          urn: "urn:pulumi:hel1::external-dns::pulumi:providers:kubernetes::default",
          type: "pulumi:providers:kubernetes",
        },
        {
          urn: "urn:pulumi:hel1::external-dns::pulumi:pulumi:Stack::external-dns-hel1",
          type: "pulumi:pulumi:Stack",
          outputs,
        },
      ],
    },
  };
}

const HEL1 = deployedStackOf(
  "hel1",
  exported({
    enabled: true,
    zoneIds: [COM],
    externalDnsArgs: [
      "--txt-owner-id=hel1",
      "--txt-prefix=externaldns-%{record_type}.",
      `--zone-id-filter=${COM}`,
    ],
  }),
);

describe("deployed stacks", () => {
  it("reads the owner, prefix and zones off the stack's outputs", () => {
    expect(HEL1).toEqual({
      stack: "hel1",
      enabled: true,
      ownerId: "hel1",
      txtPrefix: "externaldns-%{record_type}.",
      zoneIds: [COM],
    });
  });

  it("a stack without outputs has deployed nothing yet", () => {
    expect(
      deployedStackOf("new", { version: 3, deployment: { manifest: {} } }).enabled,
    ).toBeUndefined();
    expect(renderLive(liveReport([deployedStackOf("new", {})], [], []), false)).toContain(
      "  new: nothing deployed (the stack has no outputs)",
    );
  });

  it("a disabled stack deploys nothing", () => {
    expect(deployedStackOf("off", exported({ enabled: false }))).toEqual({
      stack: "off",
      enabled: false,
      ownerId: undefined,
      txtPrefix: undefined,
      zoneIds: [],
    });
  });
});

describe("ownership records by owner", () => {
  const records = [
    record("A", "web.hel1.example.com", "203.0.113.10"),
    record("TXT", "externaldns-a.web.hel1.example.com", ownership("hel1")),
    record("A", "web.fsn1.example.com", "203.0.113.20"),
    record("TXT", "externaldns-a.web.fsn1.example.com", ownership("vanixiets-cluster")),
    // a decommissioned cluster's record and an orphan ownership record, under the old prefix
    record("CNAME", "old.example.com", "lb.example.net"),
    record("TXT", "externaldns-cname-old.example.com", ownership("gone-cluster")),
    record("TXT", "externaldns-a-orphan.example.com", ownership("gone-cluster")),
    record("TXT", "example.com", '"v=spf1 -all"'),
  ];
  const members = enabled({
    fsn1: stackKeys("fsn1", { migrateFromTxtOwnerId: "vanixiets-cluster" }),
    nbg1: stackKeys("nbg1", { txtPrefix: "externaldns-" }),
  });
  const report = liveReport([HEL1], members, [{ zoneId: COM, zoneName: "example.com", records }]);

  it("groups the zone's ownership records by owner, with who declares each owner", () => {
    const [zone] = report.zones;
    expect(zone.owners.map((owner) => [owner.owner, owner.declaredBy])).toEqual([
      ["gone-cluster", []],
      ["hel1", [{ stack: "hel1", as: "deployed owner" }]],
      ["vanixiets-cluster", [{ stack: "fsn1", as: "old owner it renames from" }]],
    ]);
    expect(report.undeclaredOwners).toEqual(["gone-cluster"]);
  });

  it("finds the records each ownership record owns, under the prefixes the fleet uses", () => {
    const gone = report.zones[0].owners[0];
    expect(
      gone.entries.map((entry) => [
        entry.txt.name,
        entry.host,
        entry.owned.map((r) => `${r.type} ${r.name}`),
      ]),
    ).toEqual([
      ["externaldns-cname-old.example.com", "old.example.com", ["CNAME old.example.com"]],
      ["externaldns-a-orphan.example.com", "orphan.example.com", []],
    ]);
  });

  it("removing an owner deletes its ownership records and the records they own, nothing else", () => {
    expect(removalPlan(report, "gone-cluster")).toEqual([
      {
        zoneId: COM,
        zoneName: "example.com",
        records: [
          { id: expect.any(String), name: "old.example.com", type: "CNAME" },
          { id: expect.any(String), name: "externaldns-cname-old.example.com", type: "TXT" },
          { id: expect.any(String), name: "externaldns-a-orphan.example.com", type: "TXT" },
        ],
      },
    ]);
    expect(removalPlan(report, "nobody")).toEqual([]);
  });

  it("says which owners no stack declares, with the command that cleans them up", () => {
    const text = renderLive(report, true);
    expect(text).toContain(
      '    "gone-cluster": 2 ownership record(s); no stack declares this owner',
    );
    expect(text).toContain('    "hel1": 1 ownership record(s); hel1 (deployed owner)');
    expect(text).toContain("      web.hel1.example.com: A (externaldns-a.web.hel1.example.com)");
    expect(text).toContain("      orphan.example.com: no record (an orphan ownership record)");
    expect(text).toContain(
      '  "gone-cluster": npm run fleet -- --live --remove-owner gone-cluster   (lists them; add --yes to delete them, with a token that has DNS Write)',
    );
  });
});
