/**
 * The verify checks, fed with recorded API responses: each check's pass, warn
 * and fail, and its hint.
 */
import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { DeclaredHostname } from "../components/declaredHostnames";
import { declaredHostnames } from "../components/declaredHostnames";
import { requiredGatewayCrds } from "../components/gatewayApi";
import { ownershipTxtName } from "../components/txtRecords";
import { loadSettings, projectKeys } from "../stacks/settings";
import { stackConfig } from "../stacks/stackFiles";
import {
  type CheckResult,
  deploymentChecks,
  type Expectations,
  exitCode,
  gatewayApiChecks,
  hostOfOwnershipRecord,
  leftoverTokenChecks,
  legacyOwnershipChecks,
  logChecks,
  orphanChecks,
  ownerOf,
  ownerRenameChecks,
  ownershipMoveChecks,
  recordChecks,
  secretChainChecks,
  tokenChecks,
  tokenSourceChecks,
  type ZoneRecord,
} from "../verify/checks";
import { deploymentObservation, secretKeys, sopsSecretMessage } from "../verify/cluster";
import { expectations } from "../verify/run";
import { fixture, fixtureText, RECORDED_SECRET_TOKEN } from "./support/verifyFixtures";

const loaded = loadSettings(projectKeys(stackConfig("production")));
if (loaded.kind !== "enabled") throw new Error("production config does not load");
const recordedArgs =
  fixture<k8s.V1Deployment>("deployment.json").spec?.template.spec?.containers[0].args ?? [];
/** As the program renders them: the looked-up zone is a placeholder. */
const expectedArgs = recordedArgs.map((arg) =>
  arg === "--zone-id-filter=5e1c1a1f43e04c1d8b2ea1a6f3b3c4d5"
    ? "--zone-id-filter=<zone id of example.org, looked up at deploy>"
    : arg,
);
const expected: Expectations = expectations(loaded.settings, expectedArgs);

const statuses = (results: CheckResult[]) =>
  results.map((result) => `${result.status} ${result.check}`);
const deployment = fixture<k8s.V1Deployment>("deployment.json");
const pods = fixture<k8s.V1PodList>("pods.json").items;

describe("deployment checks", () => {
  it("pass for the recorded healthy deployment, placeholders matching real zone IDs", () => {
    const results = deploymentChecks(deploymentObservation(true, deployment, pods), expected);
    expect(statuses(results)).toEqual([
      "pass namespace",
      "pass deployment available",
      "pass pods ready",
      "pass restarts",
      "pass arguments",
    ]);
  });

  it("fail when the namespace is missing, with nothing else checked", () => {
    const results = deploymentChecks(deploymentObservation(false, undefined, []), expected);
    expect(results).toEqual([
      expect.objectContaining({
        status: "fail",
        check: "namespace",
        hint: expect.stringContaining("pulumi up"),
      }),
    ]);
  });

  it("fail on unavailable replicas and unready pods, warn on many restarts", () => {
    const down = { ...deployment, status: { ...deployment.status, availableReplicas: 0 } };
    const crashing = pods.map((pod) => ({
      ...pod,
      status: {
        ...pod.status,
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: [{ ...pod.status?.containerStatuses?.[0], restartCount: 7 }],
      },
    })) as k8s.V1Pod[];
    expect(
      statuses(deploymentChecks(deploymentObservation(true, down, crashing), expected)),
    ).toEqual([
      "pass namespace",
      "fail deployment available",
      "fail pods ready",
      "warn restarts",
      "pass arguments",
    ]);
  });

  it("fail on arguments that differ from the config, calling out a dry run", () => {
    const drifted = structuredClone(deployment);
    const container = drifted.spec?.template.spec?.containers[0];
    if (!container?.args) throw new Error("fixture has no args");
    container.args = [
      ...container.args.filter((arg) => arg !== "--policy=sync"),
      "--policy=upsert-only",
      "--dry-run",
    ];
    const [argumentsCheck] = deploymentChecks(
      deploymentObservation(true, drifted, pods),
      expected,
    ).slice(-1);
    expect(argumentsCheck.status).toBe("fail");
    expect(argumentsCheck.detail).toBe(
      "missing --policy=sync; unexpected --policy=upsert-only --dry-run",
    );
    expect(argumentsCheck.hint).toContain("--dry-run is on although external-dns:dryRun is not");
  });

  it("do not accept just any value for a zone placeholder", () => {
    const wrong = structuredClone(deployment);
    const container = wrong.spec?.template.spec?.containers[0];
    if (!container?.args) throw new Error("fixture has no args");
    container.args = container.args.map((arg) =>
      arg.startsWith("--zone-id-filter=5e1c") ? "--zone-id-filter=example.org" : arg,
    );
    expect(
      deploymentChecks(deploymentObservation(true, wrong, pods), expected).at(-1)?.status,
    ).toBe("fail");
  });
});

describe("secret chain checks", () => {
  const secret = fixture<k8s.V1Secret>("secret.json");

  it("pass for a Healthy SopsSecret and a Secret with CF_API_TOKEN, reading only key names", () => {
    expect(secretKeys(secret)).toEqual(["CF_API_TOKEN"]);
    const results = secretChainChecks(
      {
        sopsSecretMessage: sopsSecretMessage(fixture("sopssecret.json")),
        secretKeys: secretKeys(secret),
      },
      "external-dns",
    );
    expect(statuses(results)).toEqual(["pass SopsSecret", "pass Secret"]);
    expect(JSON.stringify(results)).not.toContain(RECORDED_SECRET_TOKEN);
  });

  it("fail with the operator's message and its likely cause", () => {
    const [sopsSecret] = secretChainChecks(
      { sopsSecretMessage: "Decryption error", secretKeys: undefined },
      "external-dns",
    );
    expect(sopsSecret).toMatchObject({ status: "fail", detail: "operator says: Decryption error" });
    expect(sopsSecret.hint).toContain(
      "its age public key is not in external-dns:sopsAgeRecipients",
    );
  });

  it("name the remedy for a Secret the operator does not own", () => {
    const [sopsSecret] = secretChainChecks(
      {
        sopsSecretMessage: "Child secret is not owned by controller error",
        secretKeys: ["CF_API_TOKEN"],
      },
      "dns",
    );
    expect(sopsSecret.hint).toContain(
      "delete it (kubectl -n dns delete secret cloudflare-api-token) and run pulumi up again",
    );
  });

  it("fail when the operator has not processed it, or it is missing", () => {
    expect(
      secretChainChecks(
        { sopsSecretMessage: null, secretKeys: ["CF_API_TOKEN"] },
        "external-dns",
      )[0].hint,
    ).toContain("is sops-secrets-operator running?");
    expect(secretChainChecks({ secretKeys: undefined }, "external-dns")[0].detail).toBe(
      "SopsSecret external-dns-cloudflare not found",
    );
    expect(
      secretChainChecks({ sopsSecretMessage: "Healthy", secretKeys: ["token"] }, "external-dns")[1],
    ).toMatchObject({
      status: "fail",
      detail: "Secret cloudflare-api-token lacks key CF_API_TOKEN (keys: token)",
    });
  });
});

describe("token checks", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  const CIDRS = ["203.0.113.0/24", "127.0.0.1/32"];
  const active = fixture<{ result: { status: string; expires_on: string } }>(
    "cloudflare-verify-active.json",
  ).result;

  it("warn when the active token expires within 14 days", () => {
    expect(
      statuses(
        tokenChecks(
          { kind: "verified", status: active.status, expiresOn: active.expires_on },
          now,
          CIDRS,
        ),
      ),
    ).toEqual(["pass token active", "warn token expiry"]);
  });

  it("pass when it expires later", () => {
    expect(
      statuses(
        tokenChecks(
          { kind: "verified", status: "active", expiresOn: "2027-02-06T00:00:00Z" },
          now,
          CIDRS,
        ),
      ),
    ).toEqual(["pass token active", "pass token expiry"]);
  });

  it("fail on 401/403 with Cloudflare's error, the way to recover, and the permissions it needs", () => {
    const [result] = tokenChecks(
      { kind: "rejected", httpStatus: 401, code: 1000, message: "Invalid API Token" },
      now,
      CIDRS,
    );
    expect(result).toMatchObject({
      status: "fail",
      detail: "Cloudflare answered 401 (error 1000: Invalid API Token)",
    });
    expect(result.hint).toContain("Zone:DNS:Edit + Zone:Zone:Read");
    expect(result.hint).toContain(
      "pulumi up --refresh notices the token is gone and mints a new one, and restarts external-dns onto it in the same up",
    );
  });

  it("a token refused from this location names tokenAllowedCidrs and never says revoked", () => {
    const [result] = tokenChecks(
      {
        kind: "rejected",
        httpStatus: 403,
        code: 9109,
        message: "Cannot use the access token from location: 198.51.100.7",
      },
      now,
      CIDRS,
    );
    expect(result.status).toBe("fail");
    expect(result.detail).toBe(
      "Cloudflare answered 403 (error 9109: Cannot use the access token from location: 198.51.100.7): the token may only be used from external-dns:tokenAllowedCidrs (203.0.113.0/24, 127.0.0.1/32), and this machine is outside it; the token itself was not found invalid",
    );
    expect(`${result.detail} ${result.hint}`).not.toMatch(/revoked|--refresh/);
    expect(result.hint).toMatch(/^run verify from an address in external-dns:tokenAllowedCidrs/);
  });

  it("a token Cloudflare revoked (status revoked (exposed)) says so, with the way back", () => {
    const [result] = tokenChecks({ kind: "verified", status: "revoked (exposed)" }, now, CIDRS);
    expect(result).toMatchObject({
      status: "fail",
      detail:
        "token is revoked (exposed): Cloudflare revoked it, as it does with tokens it finds exposed",
    });
    expect(result.hint).toMatch(/^pulumi up --refresh notices the token is gone .*leaked/);
  });

  it("fail on an expired or disabled token, each with its own remedy", () => {
    const [expired] = tokenChecks({ kind: "verified", status: "expired" }, now, CIDRS);
    expect(expired.hint).toMatch(/tokenRotationDays.*the pods roll onto it/);
    const [disabled] = tokenChecks({ kind: "verified", status: "disabled" }, now, CIDRS);
    expect(disabled.hint).toMatch(/^enable it again in the Cloudflare dashboard/);
  });

  it("leftover tokens: only active tokens of the stack's names other than the one in use fail", () => {
    const inUse = { kind: "verified" as const, id: "a", status: "active" };
    const token = (id: string, status: string) => ({
      id,
      name: "external-dns prod (owner p)",
      status,
    });
    const url = (id: string) => `https://api.cloudflare.com/client/v4/user/tokens/${id}`;
    const [clean] = leftoverTokenChecks(
      { kind: "listed", tokens: [token("a", "active"), token("b", "revoked (exposed)")] },
      inUse,
      url,
    );
    expect(clean.status).toBe("pass");
    const [left] = leftoverTokenChecks(
      { kind: "listed", tokens: [token("a", "active"), token("c", "active")] },
      inUse,
      url,
    );
    expect(left.status).toBe("fail");
    expect(left.hint).toContain(
      'curl -X DELETE -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" https://api.cloudflare.com/client/v4/user/tokens/c',
    );
    const [unlisted] = leftoverTokenChecks(
      { kind: "unavailable", reason: "no bootstrap token given" },
      inUse,
      url,
    );
    expect(unlisted).toMatchObject({
      status: "warn",
      detail: "not checked: no bootstrap token given",
    });
  });

  it("warn when no token was given", () => {
    expect(
      tokenChecks({ kind: "unavailable", reason: "no token given" }, now, CIDRS)[0].status,
    ).toBe("warn");
  });
});

describe("gateway api checks", () => {
  it("check each CRD the gateway sources need", () => {
    const served = { "gateways.gateway.networking.k8s.io": ["v1", "v1beta1"] };
    expect(statuses(gatewayApiChecks(served, expected))).toEqual([
      "pass gateways.gateway.networking.k8s.io",
      "fail httproutes.gateway.networking.k8s.io",
    ]);
  });

  it("fail a CRD that does not serve the version external-dns reads, naming the experimental channel", () => {
    const tcpRoutes = {
      ...expected,
      requiredCrds: requiredGatewayCrds(["gateway-tcproute"], "0.22.0"),
    };
    const served = {
      "gateways.gateway.networking.k8s.io": ["v1"],
      "tcproutes.gateway.networking.k8s.io": ["v1"],
    };
    const [gateways, routes] = gatewayApiChecks(served, tcpRoutes);
    expect(gateways).toMatchObject({ status: "pass", detail: "CRD installed, serves v1" });
    expect(routes).toMatchObject({
      status: "fail",
      detail: "CRD serves v1, not v1alpha2, the version external-dns reads",
    });
    expect(routes.hint).toContain("experimental channel v1.6 or later");
  });
});

describe("declared hostnames", () => {
  it("come from hostname annotations, ingress rules and route hostnames", () => {
    const declared = declaredHostnames(
      {
        services: fixture<k8s.V1ServiceList>("services.json").items,
        ingresses: fixture<k8s.V1IngressList>("ingresses.json").items,
        routes: fixture<{ items: [] }>("httproutes.json").items,
      },
      ["external-dns.alpha.kubernetes.io/"],
    );
    expect(declared).toEqual([
      { hostname: "api.example.com", source: "service/shop/api" },
      { hostname: "shop.example.com", source: "ingress/shop/shop" },
      { hostname: "www.example.org", source: "ingress/shop/shop" },
      { hostname: "admin.internal.example.com", source: "ingress/shop/shop" },
      { hostname: "blog.example.com", source: "ingress/blog/blog" },
      { hostname: "blog.example.net", source: "ingress/blog/elsewhere" },
      { hostname: "docs.example.org", source: "httproute/docs/docs" },
    ]);
  });
});

describe("record checks follow external-dns's filter", () => {
  const declared = [
    { hostname: "shop.example.com", source: "ingress/shop/shop" },
    { hostname: "admin.internal.example.com", source: "ingress/shop/shop" },
    { hostname: "staging.example.com", source: "ingress/shop/staging" },
    { hostname: "blog.example.net", source: "ingress/blog/elsewhere" },
  ];
  const checked = (filter: Partial<Expectations>) =>
    recordChecks(declared, new Map(), { ...expected, ...filter }).map((result) => result.check);

  it("with domain filters and exclusions: names under the filters, not excluded", () => {
    expect(
      checked({ domainFilters: ["example.com"], excludeDomains: ["internal.example.com"] }),
    ).toEqual(["shop.example.com", "staging.example.com"]);
  });

  it("with only a regex exclusion: every other name, inside the domain filters or not", () => {
    const exclusionOnly = {
      domainFilters: [],
      excludeDomains: [],
      regexDomainExclusion: "^staging\\.",
    };
    expect(checked(exclusionOnly)).toEqual([
      "shop.example.com",
      "admin.internal.example.com",
      "blog.example.net",
    ]);
  });

  it("with a regex filter: only what it matches", () => {
    expect(
      checked({ domainFilters: [], excludeDomains: [], regexDomainFilter: "\\.example\\.net$" }),
    ).toEqual(["blog.example.net"]);
  });
});

describe("orphan checks", () => {
  /** Ownership record contents of this stack's owner and of another cluster. */
  const owner = '"heritage=external-dns,external-dns/owner=hetzner-production"';
  const other = '"heritage=external-dns,external-dns/owner=another-cluster"';
  const records = fixture<{ result: ZoneRecord[] }>("cloudflare-txt-records.json").result;
  const declared = [{ hostname: "shop.example.com", source: "ingress/shop/shop" }];

  it("fail on this owner's ownership records left without their record, under sync", () => {
    const [abandoned] = orphanChecks(records, declared, expected);
    expect(abandoned).toMatchObject({
      check: "orphans",
      status: "fail",
      detail: "ownership records left without their record: externaldns-cname.legacy.example.com",
    });
    expect(abandoned.hint).toMatch(
      /only together with the record it owns.*delete these TXT records/,
    );
  });

  it("warn on records whose source is gone while their record still exists: the next reconcile deletes both", () => {
    const [, pending] = orphanChecks(records, declared, expected);
    expect(pending).toMatchObject({
      check: "records without a source",
      status: "warn",
      detail: "records of this owner whose source is gone: old.example.com",
    });
  });

  it("read the untyped names external-dns 0.14 wrote too, which 0.21 never deletes", () => {
    const migrated = { ...expected, txtPrefix: "externaldns-" };
    const zone: ZoneRecord[] = [
      { name: "externaldns-gone.example.com", type: "TXT", content: owner },
      { name: "externaldns-a-gone.example.com", type: "TXT", content: owner },
      { name: "externaldns-kept.example.com", type: "TXT", content: owner },
      { name: "kept.example.com", type: "CNAME", content: "lb.example.net" },
      { name: "externaldns-shop.example.com", type: "TXT", content: owner },
    ];
    const [abandoned, pending] = orphanChecks(zone, declared, migrated);
    expect(abandoned.detail).toBe(
      "ownership records left without their record: externaldns-a-gone.example.com, externaldns-gone.example.com",
    );
    expect(pending.detail).toBe("records of this owner whose source is gone: kept.example.com");
  });

  it("warn about 0.14's untyped ownership records beside live typed ones, which 0.21 would leave behind", () => {
    const migrated = { ...expected, txtPrefix: "externaldns-" };
    const zone: ZoneRecord[] = [
      { name: "web.example.com", type: "A", content: "203.0.113.1" },
      { name: "externaldns-web.example.com", type: "TXT", content: owner },
      { name: "externaldns-a-web.example.com", type: "TXT", content: owner },
      { name: "shop.example.com", type: "CNAME", content: "lb.example.net" },
      { name: "externaldns-shop.example.com", type: "TXT", content: owner },
      { name: "externaldns-cname-shop.example.com", type: "TXT", content: owner },
      // Only the untyped name: 0.21 still owns the record through it (and writes the typed one).
      { name: "old.example.com", type: "A", content: "203.0.113.2" },
      { name: "externaldns-old.example.com", type: "TXT", content: owner },
      // Another owner's.
      { name: "theirs.example.com", type: "A", content: "203.0.113.3" },
      { name: "externaldns-theirs.example.com", type: "TXT", content: other },
      { name: "externaldns-a-theirs.example.com", type: "TXT", content: other },
    ];
    expect(legacyOwnershipChecks(zone, migrated)).toEqual([
      expect.objectContaining({
        check: "0.14 ownership records",
        status: "warn",
        detail:
          "ownership records in external-dns 0.14's untyped form, beside the typed ones 0.21 reads: externaldns-shop.example.com, externaldns-web.example.com",
      }),
    ]);
    expect(legacyOwnershipChecks(zone, expected)).toEqual([]);
    expect(legacyOwnershipChecks(undefined, migrated)).toEqual([]);
  });

  it("fail, with migrateFromTxtPrefix, while ownership records of this owner still have old names", () => {
    const moving = { ...expected, migrateFromTxtPrefix: "externaldns-" };
    const moved: ZoneRecord[] = [
      { name: "web.example.com", type: "A", content: "203.0.113.1" },
      // The new name parses as an untyped old name of a.web.example.com too: it is new.
      { name: "externaldns-a.web.example.com", type: "TXT", content: owner },
      { name: "externaldns-a-theirs.example.com", type: "TXT", content: other },
    ];
    const left: ZoneRecord[] = [
      ...moved,
      { name: "shop.example.com", type: "CNAME", content: "lb.example.net" },
      { name: "externaldns-cname-shop.example.com", type: "TXT", content: owner },
      { name: "externaldns-shop.example.com", type: "TXT", content: owner },
    ];
    expect(ownershipMoveChecks(moved, moving)).toEqual([
      expect.objectContaining({ check: "ownership move", status: "pass" }),
    ]);
    expect(ownershipMoveChecks(left, moving)).toEqual([
      expect.objectContaining({
        check: "ownership move",
        status: "fail",
        detail:
          'ownership records still under the old prefix "externaldns-": externaldns-cname-shop.example.com, externaldns-shop.example.com',
      }),
    ]);
    expect(ownershipMoveChecks(left, expected)).toEqual([]);
    expect(ownershipMoveChecks(undefined, moving)).toEqual([]);
  });

  it("fail, with migrateFromTxtOwnerId, while a hostname this cluster declares is still owned by the old owner", () => {
    const renaming = {
      ...expected,
      txtOwnerId: "hel1",
      migrateFromTxtOwnerId: "vanixiets-cluster",
    };
    const by = (who: string) =>
      `"heritage=external-dns,external-dns/owner=${who},external-dns/resource=service/shop/x"`;
    const hel1: DeclaredHostname[] = [{ hostname: "web.example.com", source: "service/shop/web" }];
    const renamed: ZoneRecord[] = [
      { name: "web.example.com", type: "A", content: "203.0.113.1" },
      { name: "externaldns-a.web.example.com", type: "TXT", content: by("hel1") },
      // another cluster's record under the old owner: counted, never a failure here
      { name: "externaldns-a.fsn1.example.com", type: "TXT", content: by("vanixiets-cluster") },
    ];
    const left: ZoneRecord[] = [
      ...renamed.slice(0, 1),
      { name: "externaldns-a.web.example.com", type: "TXT", content: by("vanixiets-cluster") },
      ...renamed.slice(2),
    ];
    expect(ownerRenameChecks(renamed, hel1, renaming)).toEqual([
      {
        area: "records",
        check: "owner rename",
        status: "pass",
        detail:
          "no hostname this cluster declares is still owned by vanixiets-cluster; 1 ownership record(s) of vanixiets-cluster name hostnames this cluster does not declare (another cluster's, or left by deleted sources: npm run fleet -- --live)",
      },
    ]);
    expect(ownerRenameChecks(left, hel1, renaming)).toEqual([
      expect.objectContaining({
        check: "owner rename",
        status: "fail",
        detail: expect.stringMatching(
          /^ownership records still naming owner vanixiets-cluster for hostnames this cluster declares: externaldns-a\.web\.example\.com; 1 ownership record/,
        ),
      }),
    ]);
    expect(ownerRenameChecks(left, hel1, expected)).toEqual([]);
    expect(ownerRenameChecks(undefined, hel1, renaming)).toEqual([]);
  });

  it("pass when every record of this owner has a source", () => {
    const sourced = [...declared, { hostname: "old.example.com", source: "ingress/shop/old" }];
    const kept = records.filter((record) => !record.name.includes("legacy"));
    expect(orphanChecks(kept, sourced, expected)).toEqual([
      expect.objectContaining({ check: "orphans", status: "pass" }),
    ]);
  });

  it("leave out hosts outside the filter: external-dns never deletes those", () => {
    const [result] = orphanChecks(records, declared, {
      ...expected,
      domainFilters: [],
      excludeDomains: [],
      regexDomainExclusion: "^legacy\\.",
    });
    expect(result).toMatchObject({
      status: "warn",
      detail: "records of this owner whose source is gone: old.example.com",
    });
  });

  it("say nothing under upsert-only, and warn when the records could not be listed", () => {
    expect(orphanChecks(records, declared, { ...expected, policy: "upsert-only" })).toEqual([]);
    expect(orphanChecks(undefined, declared, expected)[0].status).toBe("warn");
  });

  it("read owners and hosts back from ownership records", () => {
    expect(ownerOf(["heritage=external-dns,external-dns/owner=prod,external-dns/resource=x"])).toBe(
      "prod",
    );
    expect(ownerOf(["v=DMARC1; p=none"])).toBeUndefined();
    // As external-dns 0.21's registry: no heritage=external-dns, no ownership record.
    expect(ownerOf(["external-dns/owner=prod,external-dns/resource=x"])).toBeUndefined();
    // DNS answers split long TXT contents into strings: read as one.
    expect(ownerOf(["heritage=external-dns,external-dns/ow", "ner=prod"])).toBe("prod");
    for (const prefix of ["externaldns-%{record_type}.", "txt-", "%{record_type}-", ""]) {
      for (const type of ["A", "AAAA", "CNAME"]) {
        expect(
          hostOfOwnershipRecord(ownershipTxtName("app.example.com", type, prefix), prefix),
        ).toBe("app.example.com");
      }
    }
  });
});

describe("log checks", () => {
  const lines = fixtureText("external-dns.log").trim().split("\n");

  it("map rate limiting, filter skips and errors to hints", () => {
    const results = logChecks({ lines });
    expect(statuses(results)).toEqual([
      "warn 429 rate limited",
      "warn skipped by filters",
      "warn errors",
    ]);
    expect(results[0].hint).toContain("raise external-dns:interval or external-dns:recordsPerPage");
    expect(results[0].hint).toContain("npm run fleet the fleet's per Cloudflare user");
  });

  it("fail on 401 and 403", () => {
    const results = logChecks({
      lines: ['level=error msg="Error from Cloudflare: 403 Forbidden: Authentication error"'],
    });
    expect(results[0]).toMatchObject({ status: "fail", check: "403 forbidden" });
    expect(logChecks({ lines: ['level=error msg="401 Unauthorized"'] })[0]).toMatchObject({
      status: "fail",
      check: "401 unauthorized",
    });
  });

  it("pass on a quiet log", () => {
    expect(statuses(logChecks({ lines: lines.slice(0, 3) }))).toEqual(["pass recent log"]);
  });

  it("warn, with the API server's reason, when the log cannot be read", () => {
    const [result] = logChecks({ unreadable: 'no logs found for container "external-dns"' });
    expect(result).toMatchObject({
      status: "warn",
      detail:
        'not checked: the API server could not serve the log (no logs found for container "external-dns")',
    });
  });
});

describe("exit code", () => {
  it("is 1 on any failure, 0 otherwise", () => {
    expect(exitCode([{ area: "logs", check: "x", status: "warn", detail: "" }])).toBe(0);
    expect(exitCode([{ area: "logs", check: "x", status: "fail", detail: "" }])).toBe(1);
  });
});

describe("which token external-dns reads", () => {
  const healthy = { sopsSecretMessage: "Healthy", secretKeys: ["CF_API_TOKEN"] };

  it("passes when the pods started after the Secret last changed, from this program's SopsSecret", () => {
    const [result] = tokenSourceChecks(
      {
        ...healthy,
        sopsSecretWrittenByPulumi: true,
        secretChangedAt: "2026-11-20T09:58:03.000Z",
        podStartedAt: "2026-11-20T09:58:20.000Z",
      },
      "external-dns",
    );
    expect(result).toMatchObject({ status: "pass", check: "token in use" });
  });

  it("warns while the SopsSecret is not this program's: a token it did not mint", () => {
    const [result] = tokenSourceChecks(
      { ...healthy, sopsSecretWrittenByPulumi: false },
      "external-dns",
    );
    expect(result).toMatchObject({
      status: "warn",
      detail:
        "SopsSecret external-dns-cloudflare was not written by this program: external-dns reads a token it did not mint",
    });
    expect(result.hint).toContain("Migrating a running installation");
  });

  it("warns while the pods run with the token the Secret held before", () => {
    const [result] = tokenSourceChecks(
      {
        ...healthy,
        sopsSecretWrittenByPulumi: true,
        secretChangedAt: "2026-11-21T10:00:00.000Z",
        podStartedAt: "2026-11-20T09:58:20.000Z",
      },
      "external-dns",
    );
    expect(result).toMatchObject({ status: "warn" });
    expect(result.hint).toBe("kubectl -n external-dns rollout restart deployment/external-dns");
  });

  it("says nothing when the SopsSecret or the Secret is missing (the chain checks fail instead)", () => {
    expect(tokenSourceChecks({ secretKeys: ["CF_API_TOKEN"] }, "external-dns")).toEqual([]);
  });
});
