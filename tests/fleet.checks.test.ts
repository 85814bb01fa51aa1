/**
 * What goes wrong between the stacks of a project (stacks/fleet.ts): owner IDs
 * shared on a zone, and hostnames two stacks both admit, exactly for domain
 * filters and exclusions, on sample names where a regex decides.
 */
import { describe, expect, it } from "vitest";
import {
  checkAgainstSiblings,
  describeOverlap,
  enabledMembers,
  hostnameOverlaps,
  ownerConflicts,
} from "../stacks/fleet";
import { enabled, members, stackKeys } from "./support/fleet";

const ZONES = ["example.com", "example.org"];

describe("owner IDs", () => {
  it("two enabled stacks with one owner on a shared zone conflict, naming the zones", () => {
    const fleet = enabled({
      hel1: stackKeys("vanixiets-cluster", { zones: ZONES }),
      fsn1: stackKeys("vanixiets-cluster", { zones: ["example.org", "example.net"] }),
    });
    expect(ownerConflicts(fleet)).toEqual([
      { ownerId: "vanixiets-cluster", stacks: ["hel1", "fsn1"], zones: ["example.org"] },
    ]);
  });

  it("one owner on disjoint zones, or different owners on one zone, is no conflict", () => {
    const fleet = enabled({
      hel1: stackKeys("shared", { zones: ["example.com"] }),
      fsn1: stackKeys("shared", { zones: ["example.org"] }),
      nbg1: stackKeys("nbg1", { zones: ["example.com"] }),
    });
    expect(ownerConflicts(fleet)).toEqual([]);
  });

  it("disabled and invalid stacks are not members of the enabled fleet", () => {
    const all = members({
      hel1: stackKeys("shared"),
      off: { enabled: false },
      broken: stackKeys("shared", { policy: "delete" }),
      alsoBroken: { enabled: false, txtOwnerId: "shared", zone: "typo" },
    });
    expect(all.map((member) => member.loaded.kind)).toEqual([
      "enabled",
      "disabled",
      "invalid",
      "invalid",
    ]);
    const valid = enabledMembers(all);
    expect(valid.map((member) => member.stack)).toEqual(["hel1"]);
    expect(ownerConflicts(valid)).toEqual([]);
  });
});

describe("hostnames more than one stack admits: domain filters and exclusions", () => {
  const overlaps = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    hostnameOverlaps(enabled({ a: stackKeys("a", a), b: stackKeys("b", b) })).map((overlap) => ({
      zone: overlap.zone,
      text: describeOverlap(overlap),
    }));

  it("disjoint filters in one zone admit no common name", () => {
    expect(
      overlaps({ domainFilters: ["hel1.example.com"] }, { domainFilters: ["fsn1.example.com"] }),
    ).toEqual([]);
  });

  it("a zone-wide stack and a subdomain stack share the subdomain", () => {
    expect(overlaps({}, { domainFilters: ["app.example.com"] })).toEqual([
      { zone: "example.com", text: "names at or under app.example.com" },
    ]);
  });

  it("an exclusion that covers the shared part leaves nothing; one under it is named", () => {
    expect(
      overlaps({ excludeDomains: ["app.example.com"] }, { domainFilters: ["app.example.com"] }),
    ).toEqual([]);
    expect(
      overlaps(
        { excludeDomains: ["x.app.example.com", "y.x.app.example.com", "other.example.com"] },
        { domainFilters: ["app.example.com"] },
      ),
    ).toEqual([
      {
        zone: "example.com",
        text: "names at or under app.example.com, except at or under x.app.example.com",
      },
    ]);
  });

  it("either stack's exclusions count", () => {
    expect(
      overlaps({}, { domainFilters: ["example.com"], excludeDomains: ["example.com"] }),
    ).toEqual([]);
  });

  it("a region inside another is not named twice", () => {
    expect(overlaps({}, { domainFilters: ["a.example.com", "b.a.example.com"] })).toEqual([
      { zone: "example.com", text: "names at or under a.example.com" },
    ]);
  });

  it("reports each shared zone on its own, and none for a zone only one stack has", () => {
    expect(overlaps({ zones: ZONES }, { zones: ["example.org", "example.net"] })).toEqual([
      { zone: "example.org", text: "names at or under example.org" },
    ]);
  });

  it("puts a region in the most specific zone both stacks have", () => {
    expect(
      overlaps(
        { zones: ["example.com", "sub.example.com"] },
        { zones: ["example.com", "sub.example.com"], domainFilters: ["api.sub.example.com"] },
      ),
    ).toEqual([{ zone: "sub.example.com", text: "names at or under api.sub.example.com" }]);
  });
});

describe("hostnames more than one stack admits: regex filters", () => {
  it("tries the sample names (apex and www. of every filter and zone) and says so", () => {
    const fleet = enabled({
      a: stackKeys("a", { regexDomainFilter: "^www\\." }),
      b: stackKeys("b", { domainFilters: ["example.com"] }),
    });
    const [overlap] = hostnameOverlaps(fleet);
    expect(overlap).toMatchObject({
      zone: "example.com",
      exact: false,
      names: ["www.example.com"],
    });
    expect(describeOverlap(overlap)).toMatch(
      /^the sample names www\.example\.com \(a regex filter decides, so only sample names were tried/,
    );
  });

  it("also tries the hostnames given", () => {
    const fleet = enabled({
      a: stackKeys("a", { regexDomainFilter: "^(www|api)\\." }),
      b: stackKeys("b", { regexDomainExclusion: "^www\\." }),
    });
    expect(hostnameOverlaps(fleet)).toEqual([]);
    expect(hostnameOverlaps(fleet, ["API.example.com."])).toMatchObject([
      { zone: "example.com", names: ["api.example.com"] },
    ]);
  });
});

describe("a stack against its siblings (every preview and up)", () => {
  const self = enabled({
    hel1: stackKeys("vanixiets-cluster", { domainFilters: ["example.com"] }),
  })[0];

  it("refuses an owner ID a sibling uses on a shared zone, naming the key, the stack, what was given and what is allowed", () => {
    const siblings = members({
      hel1: stackKeys("vanixiets-cluster"), // its own file: not a sibling
      fsn1: stackKeys("vanixiets-cluster", { domainFilters: ["fsn1.example.com"] }),
    });
    const check = checkAgainstSiblings("hel1", self.settings, siblings);
    expect(check.errors).toEqual([
      expect.stringMatching(
        /^external-dns:txtOwnerId: is also the owner ID of stack fsn1 \(Pulumi\.fsn1\.yaml\), which shares zone example\.com with this stack: .*; given "vanixiets-cluster"; allowed: an owner ID no other stack of this project uses on example\.com \(.*migrateFromTxtOwnerId to "vanixiets-cluster".*\)$/,
      ),
    ]);
  });

  it("warns about hostnames a sibling admits too, naming them and the sibling", () => {
    const siblings = members({ fsn1: stackKeys("fsn1", { domainFilters: ["fsn1.example.com"] }) });
    const check = checkAgainstSiblings("hel1", self.settings, siblings);
    expect(check.errors).toEqual([]);
    expect(check.warnings).toEqual([
      expect.stringMatching(
        /^external-dns:domainFilters: this stack and stack fsn1 \(Pulumi\.fsn1\.yaml\) both admit names at or under fsn1\.example\.com in zone example\.com: /,
      ),
    ]);
  });

  it("warns that an invalid sibling could not be checked, and ignores disabled ones", () => {
    const siblings = members({
      broken: stackKeys("vanixiets-cluster", { policy: "delete" }),
      off: { enabled: false },
    });
    expect(checkAgainstSiblings("hel1", self.settings, siblings)).toEqual({
      errors: [],
      warnings: [
        "Not checked against stack broken: its stack file Pulumi.broken.yaml is invalid (npm run fleet -- broken lists the problems).",
      ],
    });
  });
});
