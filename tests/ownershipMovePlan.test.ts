/**
 * Moving ownership records to another TXT prefix: which records get a new
 * name, which old names go, and what stops the move, read the way external-dns
 * 0.21's TXT registry reads ownership (typed name first, the untyped 0.14 name
 * for A and CNAME).
 */
import { describe, expect, it } from "vitest";
import { batches } from "../commands/moveTxtOwnership";
import type { DnsRecord } from "../components/cloudflareRecords";
import {
  describeZoneMove,
  NO_RECORD,
  type OwnershipMovePlan,
  planOwnershipMove,
  TYPED_NAME_CARRIES,
  type ZoneListing,
} from "../components/ownershipMovePlan";
import { MANAGED_RECORD_TYPES, ownedRecordOf, ownershipOwner } from "../components/txtRecords";

const OWNER = "vanixiets-cluster";
const MOVE = {
  ownerId: OWNER,
  fromPrefix: "externaldns-",
  toPrefix: "externaldns-%{record_type}.",
};

let lastId = 0;
function record(type: string, name: string, content: string, ttl = 1): DnsRecord {
  lastId += 1;
  return { id: `id-${lastId}`, type, name, content, ttl };
}

function ownership(resource: string, owner = OWNER): string {
  return `"heritage=external-dns,external-dns/owner=${owner},external-dns/resource=${resource}"`;
}

/** A zone as external-dns 0.14.2 left it with the prefix `externaldns-`, plus what others put there. */
function migratedZone(): ZoneListing {
  return {
    zoneId: "zone-com",
    zoneName: "example.com",
    records: [
      record("A", "web.example.com", "192.0.2.10"),
      record("TXT", "externaldns-web.example.com", ownership("service/shop/web")),
      record("TXT", "externaldns-a-web.example.com", ownership("service/shop/web"), 300),
      // Only the untyped name: 0.21 falls back to it for A and CNAME.
      record("CNAME", "shop.example.com", "lb.example.net"),
      record("TXT", "externaldns-shop.example.com", ownership("ingress/shop/shop")),
      record("AAAA", "v6.example.com", "2001:db8::1"),
      record("TXT", "externaldns-aaaa-v6.example.com", ownership("service/shop/v6")),
      // An ownership record whose record is gone.
      record("TXT", "externaldns-a-gone.example.com", ownership("service/shop/gone")),
      // Another cluster's record, a hand-made TXT, and a record the new external-dns already made.
      record("A", "other.example.com", "192.0.2.20"),
      record("TXT", "externaldns-a-other.example.com", ownership("service/x/y", "other-cluster")),
      record("TXT", "example.com", '"v=spf1 -all"'),
      record("A", "new.example.com", "192.0.2.30"),
      record("TXT", "externaldns-a.new.example.com", ownership("service/shop/new")),
    ],
  };
}

/** The zone after Cloudflare applied the plan's batches. */
function applied(listing: ZoneListing, plan: OwnershipMovePlan): ZoneListing {
  const hosts = plan.zones.find((zone) => zone.zoneId === listing.zoneId)?.hosts ?? [];
  const deleted = new Set(hosts.flatMap((host) => host.deletes.map((entry) => entry.id)));
  const posted = hosts.flatMap((host) =>
    host.copies.map((copy) =>
      record("TXT", copy.record.name, copy.record.content, copy.record.ttl),
    ),
  );
  return {
    ...listing,
    records: [...listing.records.filter((entry) => !deleted.has(entry.id)), ...posted],
  };
}

/** Who owns each record, as external-dns 0.21 with `prefix` reads it (registry/txt/registry.go). */
function owners(listing: ZoneListing, prefix: string): Record<string, string | undefined> {
  const byKey = new Map<string, string | undefined>();
  for (const entry of listing.records) {
    const owned = entry.type === "TXT" ? ownedRecordOf(entry.name, prefix) : undefined;
    const owner = ownershipOwner(entry.content);
    if (owned && owner) byKey.set(`${owned.host}|${owned.recordType ?? ""}`, owner);
  }
  return Object.fromEntries(
    listing.records
      .filter((entry) => (MANAGED_RECORD_TYPES as readonly string[]).includes(entry.type))
      .map((entry) => [
        `${entry.type} ${entry.name}`,
        byKey.get(`${entry.name}|${entry.type}`) ??
          (entry.type === "AAAA" ? undefined : byKey.get(`${entry.name}|`)),
      ]),
  );
}

describe("planning the move", () => {
  it("copies each owned record's ownership record to its new name and deletes every old name of this owner", () => {
    const plan = planOwnershipMove([migratedZone()], MOVE);
    expect(plan.conflicts).toEqual([]);
    expect(describeZoneMove(plan.zones[0])).toEqual([
      "example.com: externaldns-a-web.example.com → externaldns-a.web.example.com",
      `example.com: externaldns-web.example.com deleted: ${TYPED_NAME_CARRIES}`,
      "example.com: externaldns-shop.example.com → externaldns-cname.shop.example.com",
      "example.com: externaldns-aaaa-v6.example.com → externaldns-aaaa.v6.example.com",
      `example.com: externaldns-a-gone.example.com deleted: ${NO_RECORD}`,
    ]);
    const web = plan.zones[0].hosts.find((host) => host.host === "web.example.com");
    expect(web?.copies).toEqual([
      {
        from: "externaldns-a-web.example.com",
        record: {
          name: "externaldns-a.web.example.com",
          content: ownership("service/shop/web"),
          ttl: 300,
        },
      },
    ]);
    expect(web?.deletes.map((entry) => entry.name)).toEqual([
      "externaldns-web.example.com",
      "externaldns-a-web.example.com",
    ]);
  });

  it("leaves the zone owned, under the new prefix, exactly as it was under the old one", () => {
    const before = migratedZone();
    const after = applied(before, planOwnershipMove([before], MOVE));
    const ownedBefore = owners(before, MOVE.fromPrefix);
    const ownedAfter = owners(after, MOVE.toPrefix);
    expect(ownedAfter).toEqual({
      "A web.example.com": OWNER,
      "CNAME shop.example.com": OWNER,
      "AAAA v6.example.com": OWNER,
      // Another owner's record stays another owner's, under the old prefix it was written with.
      "A other.example.com": undefined,
      "A new.example.com": OWNER,
    });
    for (const [key, owner] of Object.entries(ownedBefore))
      if (owner === OWNER) expect(ownedAfter[key]).toBe(OWNER);
    expect(after.records.map((entry) => entry.name)).not.toContain("externaldns-web.example.com");
    expect(after.records.map((entry) => entry.name)).toContain("externaldns-a-other.example.com");
    expect(after.records.filter((entry) => entry.type !== "TXT")).toEqual(
      before.records.filter((entry) => entry.type !== "TXT"),
    );
  });

  it("finds nothing left to move once the move is done", () => {
    const before = migratedZone();
    const after = applied(before, planOwnershipMove([before], MOVE));
    expect(planOwnershipMove([after], MOVE)).toEqual({ zones: [], conflicts: [] });
  });

  it("refuses, before any change, a new name another TXT record holds", () => {
    const migrated = migratedZone();
    const zone = {
      ...migrated,
      records: [
        ...migrated.records,
        record("TXT", "externaldns-a.web.example.com", ownership("service/x/web", "other-cluster")),
      ],
    };
    expect(planOwnershipMove([zone], MOVE).conflicts).toEqual([
      `externaldns-a.web.example.com: the new name of externaldns-a-web.example.com (A web.example.com) is taken by a TXT record "${ownership("service/x/web", "other-cluster")}"`,
    ]);
  });

  it("refuses a new prefix that would put an apex record's ownership record outside its zone", () => {
    const zone: ZoneListing = {
      zoneId: "zone-com",
      zoneName: "example.com",
      records: [
        record("A", "example.com", "192.0.2.1"),
        record("TXT", "externaldns-a.example.com", ownership("service/shop/apex")),
      ],
    };
    const plan = planOwnershipMove([zone], {
      ownerId: OWNER,
      fromPrefix: "externaldns-%{record_type}.",
      toPrefix: "externaldns-",
    });
    expect(plan.conflicts).toEqual([
      "externaldns-a-example.com: the new name of externaldns-a.example.com (A example.com) lies outside zone example.com; external-dns could not write it either (use a prefix with %{record_type} and a trailing dot)",
    ]);
  });

  it("moves nothing of another owner, and nothing in a zone without old names", () => {
    const plan = planOwnershipMove([migratedZone()], { ...MOVE, ownerId: "someone-else" });
    expect(plan).toEqual({ zones: [], conflicts: [] });
  });
});

describe("batches", () => {
  const host = (name: string, changes: number) => ({
    host: name,
    copies: [],
    deletes: Array.from({ length: changes }, (_, index) => ({ id: `${name}-${index}`, name })),
  });

  it("keeps each host's changes in one batch of at most 200 changes", () => {
    const grouped = batches([host("a", 150), host("b", 40), host("c", 20), host("d", 200)]);
    expect(grouped.map((batch) => batch.map((entry) => entry.host))).toEqual([
      ["a", "b"],
      ["c"],
      ["d"],
    ]);
  });
});
