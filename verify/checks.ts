/**
 * The checks of `npm run verify`, as pure functions from what was observed
 * (in the cluster, at Cloudflare, in DNS) and what the stack expects, to
 * pass / warn / fail results with a one-line hint.
 */

import { RELEASE_NAME } from "../components/chartValues";
import { REFUSED_FROM_LOCATION } from "../components/cloudflareRecords";
import type { DeclaredHostname } from "../components/declaredHostnames";
import type { ExternalDnsVersion } from "../components/externalDnsReleases";
import { crdShortfalls, gatewayApiInstallHint, type RequiredCrd } from "../components/gatewayApi";
import { type HostnameFilter, managesHostname } from "../components/hostnameFilter";
import { hasOldName } from "../components/ownershipMovePlan";
import { OPERATOR_ERROR_HINTS } from "../components/sopsDecryption";
import { SOPS_SECRET_NAME, TOKEN_SECRET_KEY, TOKEN_SECRET_NAME } from "../components/sopsSecret";
import {
  MANAGED_RECORD_TYPES,
  ownedRecordOf,
  ownershipOwner,
  ownershipTxtName,
  UNTYPED_OWNERSHIP_TYPES,
} from "../components/txtRecords";
import { CONFIG_NAMING } from "../stacks/settings";

export type Status = "pass" | "warn" | "fail";

export interface CheckResult {
  area: "deployment" | "secret chain" | "token" | "gateway api" | "records" | "logs";
  check: string;
  status: Status;
  detail: string;
  hint?: string;
}

/** What the stack config says the deployment should look like; the filter is external-dns's. */
export interface Expectations extends HostnameFilter {
  namespace: string;
  /** Container arguments as the program renders them; `<...>` placeholders match any zone ID. */
  containerArgs: string[];
  dryRun: boolean;
  policy: string;
  txtOwnerId: string;
  txtPrefix: string;
  /** `migrateFromTxtPrefix`: the prefix the stack moves ownership records from, if any. */
  migrateFromTxtPrefix?: string;
  /** `migrateFromTxtOwnerId`: the owner the stack renames this cluster's ownership records from, if any. */
  migrateFromTxtOwnerId?: string;
  /** The Gateway API CRDs the sources need, with the version external-dns reads. */
  requiredCrds: RequiredCrd[];
  /** The external-dns version the chart runs. */
  externalDnsVersion: ExternalDnsVersion;
  /** `tokenAllowedCidrs`: where the token may be used from (empty: anywhere). */
  tokenAllowedCidrs: readonly string[];
}

/** Restarts above this many make the restart check warn. */
export const MAX_QUIET_RESTARTS = 3;
/** A token expiring within this many days makes the token check warn. */
export const TOKEN_EXPIRY_WARNING_DAYS = 14;

export interface DeploymentObservation {
  namespaceExists: boolean;
  deployment?: { replicas: number; availableReplicas: number; args: string[] };
  pods: { name: string; ready: boolean; restarts: number }[];
}

export function deploymentChecks(
  observed: DeploymentObservation,
  expected: Expectations,
): CheckResult[] {
  const area = "deployment";
  const results: CheckResult[] = [];
  if (!observed.namespaceExists) {
    return [
      {
        area,
        check: "namespace",
        status: "fail",
        detail: `namespace ${expected.namespace} not found`,
        hint: "run pulumi up for this stack, or check external-dns:namespace and the kubeconfig context",
      },
    ];
  }
  results.push({
    area,
    check: "namespace",
    status: "pass",
    detail: `namespace ${expected.namespace} exists`,
  });
  const { deployment } = observed;
  if (!deployment) {
    results.push({
      area,
      check: "deployment",
      status: "fail",
      detail: "Deployment external-dns not found",
      hint: "run pulumi up; if it failed, its output names the failing resource",
    });
    return results;
  }
  const available = deployment.availableReplicas >= Math.max(1, deployment.replicas);
  results.push({
    area,
    check: "deployment available",
    status: available ? "pass" : "fail",
    detail: `${deployment.availableReplicas}/${deployment.replicas} replicas available`,
    hint: available
      ? undefined
      : `kubectl -n ${expected.namespace} describe deployment external-dns`,
  });
  const unready = observed.pods.filter((pod) => !pod.ready);
  results.push({
    area,
    check: "pods ready",
    status: observed.pods.length > 0 && unready.length === 0 ? "pass" : "fail",
    detail:
      observed.pods.length === 0
        ? "no external-dns pods"
        : `${observed.pods.length - unready.length}/${observed.pods.length} ready${unready.length ? ` (not ready: ${unready.map((pod) => pod.name).join(", ")})` : ""}`,
    hint:
      unready.length || observed.pods.length === 0
        ? "check the pod events and the logs below"
        : undefined,
  });
  const restarts = observed.pods.reduce((sum, pod) => sum + pod.restarts, 0);
  results.push({
    area,
    check: "restarts",
    status: restarts > MAX_QUIET_RESTARTS ? "warn" : "pass",
    detail: `${restarts} restart(s)`,
    hint:
      restarts > MAX_QUIET_RESTARTS
        ? "the logs below usually say why (401/403 from Cloudflare, crash loops)"
        : undefined,
  });
  results.push(argumentCheck(deployment.args, expected));
  return results;
}

function argumentCheck(actual: string[], expected: Expectations): CheckResult {
  const matches = (want: string, have: string) =>
    want.includes("<")
      ? new RegExp(`^${escapeRegExp(want).replace(/<[^>]*>/g, "[0-9a-f]{32}")}$`).test(have)
      : want === have;
  const missing = expected.containerArgs.filter(
    (want) => !actual.some((have) => matches(want, have)),
  );
  const unexpected = actual.filter(
    (have) => !expected.containerArgs.some((want) => matches(want, have)),
  );
  const dryRunOn = actual.includes("--dry-run") && !expected.dryRun;
  if (missing.length === 0 && unexpected.length === 0) {
    return {
      area: "deployment",
      check: "arguments",
      status: "pass",
      detail: "container arguments match the stack config",
    };
  }
  return {
    area: "deployment",
    check: "arguments",
    status: "fail",
    detail: [
      missing.length ? `missing ${missing.join(" ")}` : "",
      unexpected.length ? `unexpected ${unexpected.join(" ")}` : "",
    ]
      .filter(Boolean)
      .join("; "),
    hint: dryRunOn
      ? "--dry-run is on although external-dns:dryRun is not: external-dns changes nothing"
      : "the deployment differs from the stack config: run pulumi up (or pulumi refresh if someone edited it)",
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface SecretChainObservation {
  /** The SopsSecret's status.message; null: it exists without a status; undefined: it does not exist. */
  sopsSecretMessage?: string | null;
  /** The keys of the Secret (never its values); undefined: it does not exist. */
  secretKeys?: string[];
  /** Whether Pulumi's Kubernetes provider writes the SopsSecret (a `pulumi-kubernetes…` field manager). */
  sopsSecretWrittenByPulumi?: boolean;
  /** When the Secret last changed (its newest managedFields time), RFC 3339. */
  secretChangedAt?: string;
  /** When the oldest running external-dns pod started, RFC 3339. */
  podStartedAt?: string;
}

/**
 * Whether external-dns reads the token this program minted: the SopsSecret it
 * comes from must be this program's (else it is a token made by hand, e.g. of
 * an installation not yet adopted), and the pods must have started after the
 * Secret last changed (a pod reads the Secret only when it starts).
 */
export function tokenSourceChecks(
  observed: SecretChainObservation,
  namespace: string,
): CheckResult[] {
  const area = "secret chain";
  const check = "token in use";
  if (observed.sopsSecretMessage === undefined || observed.secretKeys === undefined) return [];
  if (observed.sopsSecretWrittenByPulumi === false)
    return [
      {
        area,
        check,
        status: "warn",
        detail: `SopsSecret ${SOPS_SECRET_NAME} was not written by this program: external-dns reads a token it did not mint`,
        hint: 'adopt the installation (docs/migration.md: "Migrating a running installation"), then revoke that token',
      },
    ];
  const changed = Date.parse(observed.secretChangedAt ?? "");
  const started = Date.parse(observed.podStartedAt ?? "");
  if (Number.isFinite(changed) && Number.isFinite(started) && started < changed)
    return [
      {
        area,
        check,
        status: "warn",
        detail: `external-dns started at ${observed.podStartedAt}, before Secret ${TOKEN_SECRET_NAME} last changed at ${observed.secretChangedAt}: it still reads the token the Secret held before`,
        hint: `kubectl -n ${namespace} rollout restart deployment/${RELEASE_NAME}`,
      },
    ];
  return [
    {
      area,
      check,
      status: "pass",
      detail:
        "external-dns started after the Secret last changed, from the SopsSecret this program writes",
    },
  ];
}

export function secretChainChecks(
  observed: SecretChainObservation,
  namespace: string,
): CheckResult[] {
  const area = "secret chain";
  const target = {
    namespace,
    sopsSecretName: SOPS_SECRET_NAME,
    secretName: TOKEN_SECRET_NAME,
    secretKey: TOKEN_SECRET_KEY,
  };
  const message = observed.sopsSecretMessage;
  const sopsSecret: CheckResult =
    message === "Healthy"
      ? {
          area,
          check: "SopsSecret",
          status: "pass",
          detail: "sops-secrets-operator reports Healthy",
        }
      : message === undefined
        ? {
            area,
            check: "SopsSecret",
            status: "fail",
            detail: "SopsSecret external-dns-cloudflare not found",
            hint: "run pulumi up; is the sops-secrets-operator CRD installed?",
          }
        : {
            area,
            check: "SopsSecret",
            status: "fail",
            detail: message === null ? "no status yet" : `operator says: ${message}`,
            hint:
              message === null
                ? "the operator has not processed it yet: is sops-secrets-operator running?"
                : (OPERATOR_ERROR_HINTS[message]?.(target, CONFIG_NAMING.key) ??
                  "usual causes: the operator's age key is not among external-dns:sopsAgeRecipients, or the manifest was edited by hand"),
          };
  const keys = observed.secretKeys;
  const secret: CheckResult =
    keys === undefined
      ? {
          area,
          check: "Secret",
          status: "fail",
          detail: `Secret ${TOKEN_SECRET_NAME} not found`,
          hint: "the operator creates it from the SopsSecret: fix the SopsSecret first",
        }
      : keys.includes(TOKEN_SECRET_KEY)
        ? {
            area,
            check: "Secret",
            status: "pass",
            detail: `Secret ${TOKEN_SECRET_NAME} has key ${TOKEN_SECRET_KEY}`,
          }
        : {
            area,
            check: "Secret",
            status: "fail",
            detail: `Secret ${TOKEN_SECRET_NAME} lacks key ${TOKEN_SECRET_KEY} (keys: ${keys.join(", ") || "none"})`,
            hint: "another tool manages a Secret of that name, or the SopsSecret template was edited",
          };
  return [sopsSecret, secret];
}

/** Cloudflare's token verify answer, or why there is none. */
export type TokenObservation =
  | { kind: "verified"; id?: string; status: string; expiresOn?: string }
  /** Refused, with Cloudflare's first error (code and message) when its answer had one. */
  | { kind: "rejected"; httpStatus: number; code?: number; message?: string }
  | { kind: "unavailable"; reason: string };

/**
 * The status Cloudflare gives a token it revoked because it found it exposed:
 * terraform-provider-cloudflare 5.24.0 internal/services/api_token/resource.go
 * (Read) compares against "revoked (exposed)" and drops such a token from the state.
 */
const REVOKED = /^revoked/;

/**
 * How to recover from a token Cloudflare no longer accepts. Without `--refresh`
 * Pulumi's state still has the token, so `pulumi up` changes nothing. With it,
 * the provider drops a deleted, expired or revoked token from the state, the
 * up mints a new one under the same name, and its restart step
 * (components/podRestartOnNewToken.ts) restarts external-dns onto it.
 */
export function remintHint(): string {
  return "pulumi up --refresh notices the token is gone and mints a new one, and restarts external-dns onto it in the same up";
}

export function tokenChecks(
  observed: TokenObservation,
  now: Date,
  allowedCidrs: readonly string[],
): CheckResult[] {
  const area = "token";
  const active = (status: Status, detail: string, hint?: string): CheckResult[] => [
    { area, check: "token active", status, detail, hint },
  ];
  if (observed.kind === "unavailable") {
    return active(
      "warn",
      `not checked: ${observed.reason}`,
      "pass the token in CF_API_TOKEN or --cloudflare-token-file",
    );
  }
  if (observed.kind === "rejected") {
    const answer = `Cloudflare answered ${observed.httpStatus}${observed.code === undefined ? "" : ` (error ${observed.code}: ${observed.message})`}`;
    if (REFUSED_FROM_LOCATION.test(observed.message ?? ""))
      return active(
        "fail",
        `${answer}: the token may only be used from external-dns:tokenAllowedCidrs (${allowedCidrs.join(", ")}), and this machine is outside it; the token itself was not found invalid`,
        "run verify from an address in external-dns:tokenAllowedCidrs, or add this machine's address there and run pulumi up (the token's IP condition is updated in place, the token stays)",
      );
    return active(
      "fail",
      answer,
      `Cloudflare no longer accepts the token (deleted, expired or revoked), or it lacks Zone:DNS:Edit + Zone:Zone:Read on the zones: ${remintHint()}`,
    );
  }
  if (observed.status !== "active") {
    const revoked = REVOKED.test(observed.status);
    return active(
      "fail",
      revoked
        ? `token is ${observed.status}: Cloudflare revoked it, as it does with tokens it finds exposed`
        : `token is ${observed.status}`,
      observed.status === "expired"
        ? "set external-dns:tokenRotationDays, or a later tokenExpiresOn, and run pulumi up: the new token gets a new name, so the pods roll onto it"
        : revoked
          ? `${remintHint()}; then find where the old token leaked (a log, a repository, a shared terminal)`
          : `enable it again in the Cloudflare dashboard, or delete it there and recover: ${remintHint()}`,
    );
  }
  const results: CheckResult[] = [
    { area, check: "token active", status: "pass", detail: "Cloudflare says the token is active" },
  ];
  if (observed.expiresOn) {
    const daysLeft = (Date.parse(observed.expiresOn) - now.getTime()) / 86_400_000;
    results.push({
      area,
      check: "token expiry",
      status: daysLeft < TOKEN_EXPIRY_WARNING_DAYS ? "warn" : "pass",
      detail: `expires ${observed.expiresOn} (in ${Math.floor(daysLeft)} days)`,
      hint:
        daysLeft < TOKEN_EXPIRY_WARNING_DAYS
          ? "run pulumi up: a due rotation mints a new token"
          : undefined,
    });
  }
  return results;
}

/** A token at Cloudflare, as the token list shows it (never its value). */
export interface MintedToken {
  id: string;
  name: string;
  status: string;
  issuedOn?: string;
}

/** The tokens named for this stack, or why they could not be listed. */
export type TokenListing =
  | { kind: "listed"; tokens: MintedToken[] }
  | { kind: "unavailable"; reason: string };

/** The start of every token name this program gives a stack's tokens (components/tokenLifecycle.ts). */
export function stackTokenNamePrefix(stack: string): string {
  return `external-dns ${stack} (`;
}

/**
 * Tokens minted for this stack other than the one external-dns uses: a token
 * whose up was killed after Cloudflare minted it, or an old one whose deletion
 * failed. Each can still edit DNS in the zones.
 */
export function leftoverTokenChecks(
  listing: TokenListing,
  inUse: TokenObservation,
  deleteUrl: (id: string) => string,
): CheckResult[] {
  const check = (status: Status, detail: string, hint?: string): CheckResult[] => [
    { area: "token", check: "leftover tokens", status, detail, hint },
  ];
  if (listing.kind === "unavailable")
    return check(
      "warn",
      `not checked: ${listing.reason}`,
      "give the bootstrap token (the stack's cloudflare:apiToken, which may list tokens) in CLOUDFLARE_API_TOKEN or --bootstrap-token-file",
    );
  if (inUse.kind !== "verified" || inUse.id === undefined)
    return check(
      "warn",
      `not checked: the token external-dns uses is unknown (${listing.tokens.length} token(s) named for this stack: ${listing.tokens.map((token) => token.id).join(", ") || "none"})`,
    );
  // A revoked, expired or disabled token edits nothing: only active ones are a risk.
  const leftovers = listing.tokens.filter(
    (token) => token.id !== inUse.id && token.status === "active",
  );
  if (leftovers.length === 0)
    return check("pass", "no active token named for this stack besides the one external-dns uses");
  return check(
    "fail",
    `${leftovers.length} token(s) named for this stack besides the one external-dns uses, each able to edit the zones' DNS: ${leftovers.map((token) => `"${token.name}" (id ${token.id}, ${token.status}${token.issuedOn ? `, issued ${token.issuedOn}` : ""})`).join("; ")}`,
    `a token whose deletion failed in a rotation is deleted by the next pulumi up; any other is known to no stack (an up killed after Cloudflare minted it): delete it, e.g. ${leftovers.map((token) => `curl -X DELETE -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" ${deleteUrl(token.id)}`).join(" && ")}`,
  );
}

export function gatewayApiChecks(
  servedCrdVersions: Record<string, string[] | undefined>,
  expected: Expectations,
): CheckResult[] {
  const hint = `${gatewayApiInstallHint(expected.requiredCrds, expected.externalDnsVersion)}, or remove the gateway sources from external-dns:sources`;
  return expected.requiredCrds.map((crd) => {
    const [shortfall] = crdShortfalls([crd], (name) => servedCrdVersions[name]);
    const check = crd.name;
    if (!shortfall)
      return {
        area: "gateway api",
        check,
        status: "pass",
        detail: `CRD installed, serves ${crd.version}`,
      };
    const detail =
      shortfall.served === undefined
        ? "CRD missing"
        : `CRD serves ${shortfall.served.join(", ") || "no version"}, not ${crd.version}, the version external-dns reads`;
    return { area: "gateway api", check, status: "fail", detail, hint };
  });
}

/** A hostname a Kubernetes object asks external-dns for. */
export type { DeclaredHostname } from "../components/declaredHostnames";

/** What DNS answered for one hostname. */
export interface ResolvedHostname {
  records: Partial<Record<(typeof MANAGED_RECORD_TYPES)[number], string[]>>;
  /** TXT strings per ownership record name. */
  txt: Record<string, string[]>;
  /** Why the lookup failed (e.g. EREFUSED), when it did. */
  error?: string;
}

/** The owner a TXT ownership record names, if any. */
/**
 * The owner a TXT record's strings (as DNS answers them) name, read as
 * external-dns 0.21's registry reads it (components/txtRecords.ts
 * `ownershipOwner`): only an ownership record, with `heritage=external-dns`, has one.
 */
export function ownerOf(txtStrings: string[]): string | undefined {
  return ownershipOwner(txtStrings.join(""));
}

export function recordChecks(
  declared: DeclaredHostname[],
  resolved: Map<string, ResolvedHostname>,
  expected: Expectations,
): CheckResult[] {
  return declared
    .filter(({ hostname }) => managesHostname(expected, hostname))
    .map(({ hostname, source }) => {
      const answer = resolved.get(hostname) ?? { records: {}, txt: {} };
      if (answer.error) {
        return {
          area: "records" as const,
          check: hostname,
          status: "fail" as const,
          detail: `DNS lookup failed (${answer.error})`,
          hint: "the resolver could not answer: check the network or point --resolver at a server that can",
        };
      }
      const types = MANAGED_RECORD_TYPES.filter((type) => (answer.records[type] ?? []).length > 0);
      if (types.length === 0) {
        return {
          area: "records" as const,
          check: hostname,
          status: "fail" as const,
          detail: `no A, AAAA or CNAME record (declared by ${source})`,
          hint: "external-dns has not created it: see the logs below, the filters, and whether the source has an address yet",
        };
      }
      const ownedByUs = (type: string) =>
        ownerOf(answer.txt[ownershipTxtName(hostname, type, expected.txtPrefix)] ?? []) ===
        expected.txtOwnerId;
      const lost = MANAGED_RECORD_TYPES.filter((type) => !types.includes(type) && ownedByUs(type));
      if (lost.length > 0 && !types.includes("CNAME")) {
        return {
          area: "records" as const,
          check: hostname,
          status: "fail" as const,
          detail: `no ${lost.join("+")} record, though its ownership record ${ownershipTxtName(hostname, lost[0], expected.txtPrefix)} is there (${types.join("+")} resolves)`,
          hint: "the record was deleted outside external-dns: under sync it makes it again on its next reconcile; if it stays missing, see the logs",
        };
      }
      const owners = types.map((type) =>
        ownerOf(answer.txt[ownershipTxtName(hostname, type, expected.txtPrefix)] ?? []),
      );
      const problem = owners.find((owner) => owner !== expected.txtOwnerId);
      if (owners.every((owner) => owner === expected.txtOwnerId)) {
        return {
          area: "records" as const,
          check: hostname,
          status: "pass" as const,
          detail: `${types.join("+")} owned by ${expected.txtOwnerId}`,
        };
      }
      return {
        area: "records" as const,
        check: hostname,
        status: "fail" as const,
        detail:
          problem === undefined
            ? `${types.join("+")} resolves but has no ownership TXT record ${ownershipTxtName(hostname, types[0], expected.txtPrefix)}`
            : `${types.join("+")} is owned by ${problem}, not ${expected.txtOwnerId}`,
        hint:
          problem === undefined
            ? "the record was made by hand or by another tool: external-dns will not touch it; delete it to let external-dns take over"
            : "another cluster (or an old txtOwnerId) owns it: give each cluster its own txtOwnerId, or hand the record over by changing its TXT owner",
      };
    });
}

/** A DNS record found in a zone listing (any type; the orphan check needs TXT and what they own). */
export interface ZoneRecord {
  name: string;
  type: string;
  content: string;
}

/**
 * Ownership records of this owner, for hosts the filter admits, that no
 * Kubernetes object declares any more; under `sync` only (under the other
 * policies external-dns keeps records whose source is gone, on purpose).
 *
 * external-dns 0.21's TXT registry deletes an ownership record only together
 * with the record it owns (registry/txt/registry.go). So while that record
 * still exists, the pair is merely waiting for the next reconcile (warn); an
 * ownership record whose record is gone stays for good (fail): it still claims
 * the name for this owner, so a record someone makes there later counts as
 * external-dns's, and under `sync` gets deleted.
 */
export function orphanChecks(
  zoneRecords: ZoneRecord[] | undefined,
  declared: DeclaredHostname[],
  expected: Expectations,
): CheckResult[] {
  if (expected.policy !== "sync") return [];
  if (zoneRecords === undefined) {
    return [
      {
        area: "records",
        check: "orphans",
        status: "warn",
        detail: "not checked: no Cloudflare token to list the zones' records",
        hint: "pass the token in CF_API_TOKEN or --cloudflare-token-file",
      },
    ];
  }
  const hosts = new Set(declared.map((entry) => entry.hostname));
  const owned = ownedTxtRecords(zoneRecords, expected.txtOwnerId)
    .flatMap((record) => {
      const owner = ownedRecordOf(record.name, expected.txtPrefix);
      return owner ? [{ txtName: record.name, ...owner }] : [];
    })
    .filter(({ host }) => !hosts.has(host) && managesHostname(expected, host));
  const exists = (host: string, type: string | undefined): boolean =>
    type === undefined
      ? UNTYPED_OWNERSHIP_TYPES.some((candidate) => exists(host, candidate))
      : zoneRecords.some((record) => record.name === host && record.type === type);
  const pending = [
    ...new Set(owned.filter((o) => exists(o.host, o.recordType)).map((o) => o.host)),
  ].sort();
  const abandoned = owned
    .filter((o) => !exists(o.host, o.recordType))
    .map((o) => o.txtName)
    .sort();
  const results: CheckResult[] = [];
  if (abandoned.length > 0)
    results.push({
      area: "records",
      check: "orphans",
      status: "fail",
      detail: `ownership records left without their record: ${abandoned.join(", ")}`,
      hint: "external-dns deletes an ownership record only together with the record it owns, so these stay for good and keep claiming the names for this owner (a record made there later would count as external-dns's and be deleted under sync): delete these TXT records in Cloudflare",
    });
  if (pending.length > 0)
    results.push({
      area: "records",
      check: "records without a source",
      status: "warn",
      detail: `records of this owner whose source is gone: ${pending.join(", ")}`,
      hint: "under sync external-dns deletes them, with their ownership records, on its next reconcile; if they stay, look for 403s or errors in the logs",
    });
  if (results.length === 0)
    results.push({
      area: "records",
      check: "orphans",
      status: "pass",
      detail: "every record of this owner has a source",
    });
  return results;
}

/**
 * external-dns 0.14's untyped ownership records (`externaldns-web.example.com`)
 * of records that also have the typed one 0.21 reads. 0.21 never writes or
 * deletes them, so each stays behind as an orphan once its record is deleted;
 * while the typed one exists they are redundant and safe to delete (0.14,
 * after a rollback, writes them again).
 */
export function legacyOwnershipChecks(
  zoneRecords: ZoneRecord[] | undefined,
  expected: Expectations,
): CheckResult[] {
  if (zoneRecords === undefined) return [];
  const ownedTxt = ownedTxtRecords(zoneRecords, expected.txtOwnerId);
  const ownedNames = new Set(ownedTxt.map((record) => record.name));
  const isTypedAndLive = (host: string, type: string): boolean =>
    ownedNames.has(ownershipTxtName(host, type, expected.txtPrefix)) &&
    zoneRecords.some((record) => record.name === host && record.type === type);
  const legacy = ownedTxt
    .filter((record) => {
      const owned = ownedRecordOf(record.name, expected.txtPrefix);
      return (
        owned !== undefined &&
        owned.recordType === undefined &&
        UNTYPED_OWNERSHIP_TYPES.some((type) => isTypedAndLive(owned.host, type))
      );
    })
    .map((record) => record.name)
    .sort();
  if (legacy.length === 0) return [];
  return [
    {
      area: "records",
      check: "0.14 ownership records",
      status: "warn",
      detail: `ownership records in external-dns 0.14's untyped form, beside the typed ones 0.21 reads: ${legacy.join(", ")}`,
      hint: "external-dns 0.21 never deletes these, so each is left behind when its record is deleted: delete them in Cloudflare now (0.21 keeps ownership through the typed names; after a rollback, 0.14 writes them again)",
    },
  ];
}

/**
 * With `migrateFromTxtPrefix` set: whether the move is done, i.e. no ownership
 * record of this owner still has an old name. One left means external-dns does
 * not own its record (it neither updates nor deletes it) until the next up moves it.
 */
export function ownershipMoveChecks(
  zoneRecords: ZoneRecord[] | undefined,
  expected: Expectations,
): CheckResult[] {
  const fromPrefix = expected.migrateFromTxtPrefix;
  if (fromPrefix === undefined || zoneRecords === undefined) return [];
  const left = ownedTxtRecords(zoneRecords, expected.txtOwnerId)
    .filter((record) => hasOldName(record.name, { fromPrefix, toPrefix: expected.txtPrefix }))
    .map((record) => record.name)
    .sort();
  if (left.length === 0)
    return [
      {
        area: "records",
        check: "ownership move",
        status: "pass",
        detail: `no ownership record of this owner is left under ${JSON.stringify(fromPrefix)}`,
      },
    ];
  return [
    {
      area: "records",
      check: "ownership move",
      status: "fail",
      detail: `ownership records still under the old prefix ${JSON.stringify(fromPrefix)}: ${left.join(", ")}`,
      hint: 'external-dns does not own their records until they are moved: run pulumi up (its TxtOwnershipMove step says why it failed; docs/migration.md: "Moving to another TXT prefix")',
    },
  ];
}

/**
 * With `migrateFromTxtOwnerId`: fails while an ownership record of the old
 * owner names a hostname this cluster declares and its filters admit (the
 * rename has not reached it); records of the old owner for other hostnames
 * are another cluster's, and only counted.
 */
export function ownerRenameChecks(
  zoneRecords: ZoneRecord[] | undefined,
  declared: DeclaredHostname[],
  expected: Expectations,
): CheckResult[] {
  const fromOwner = expected.migrateFromTxtOwnerId;
  if (fromOwner === undefined || zoneRecords === undefined) return [];
  const claimed = new Set(
    declared
      .map((entry) => entry.hostname)
      .filter((hostname) => managesHostname(expected, hostname)),
  );
  const oldOwner = zoneRecords.flatMap((record) => {
    const host =
      record.type === "TXT" && ownershipOwner(record.content) === fromOwner
        ? ownedRecordOf(record.name, expected.txtPrefix)?.host
        : undefined;
    return host === undefined ? [] : [{ name: record.name, host }];
  });
  const left = oldOwner.filter((record) => claimed.has(record.host)).map((record) => record.name);
  const others = oldOwner.length - left.length;
  const elsewhere =
    others > 0
      ? `; ${others} ownership record(s) of ${fromOwner} name hostnames this cluster does not declare (another cluster's, or left by deleted sources: npm run fleet -- --live)`
      : "";
  if (left.length === 0)
    return [
      {
        area: "records",
        check: "owner rename",
        status: "pass",
        detail: `no hostname this cluster declares is still owned by ${fromOwner}${elsewhere}`,
      },
    ];
  return [
    {
      area: "records",
      check: "owner rename",
      status: "fail",
      detail: `ownership records still naming owner ${fromOwner} for hostnames this cluster declares: ${left.sort().join(", ")}${elsewhere}`,
      hint: 'external-dns does not own their records until they are renamed: run pulumi up (its TxtOwnerRename step says why it failed; docs/fleet.md: "Renaming an owner")',
    },
  ];
}

/** The ownership TXT records of `owner` among a zone's records. */
function ownedTxtRecords(zoneRecords: ZoneRecord[], owner: string): ZoneRecord[] {
  return zoneRecords.filter(
    (record) => record.type === "TXT" && ownershipOwner(record.content) === owner,
  );
}

/** The managed host an ownership TXT record name stands for: `ownershipTxtName` backwards. */
export function hostOfOwnershipRecord(txtName: string, txtPrefix: string): string | undefined {
  return ownedRecordOf(txtName, txtPrefix)?.host;
}

const LOG_PATTERNS: { check: string; pattern: RegExp; status: Status; hint: string }[] = [
  {
    check: "401 unauthorized",
    pattern: /\b401\b|Unauthorized|Invalid request headers/i,
    status: "fail",
    hint: "Cloudflare rejects the token: it was revoked or expired (see the token check above for how to recover)",
  },
  {
    check: "403 forbidden",
    pattern: /\b403\b|Forbidden|Authentication error/i,
    status: "fail",
    hint: "the token lacks a permission or zone: it needs Zone:DNS:Edit and Zone:Zone:Read, and one --zone-id-filter per zone",
  },
  {
    check: "429 rate limited",
    pattern: /\b429\b|rate limit/i,
    status: "warn",
    hint: "Cloudflare rate-limits the user (1,200 requests per 5 minutes for all its tokens and the dashboard together; external-dns retries at the next interval): raise external-dns:interval or external-dns:recordsPerPage (npm run plan gives the stack's estimate, npm run fleet the fleet's per Cloudflare user)",
  },
  {
    check: "skipped by filters",
    pattern: /Skipping/,
    status: "warn",
    hint: "a source asks for a name the domain filters or exclusions reject: widen external-dns:domainFilters or fix the hostname",
  },
  {
    check: "errors",
    pattern: /level=error|level=fatal/,
    status: "warn",
    hint: "read the lines shown; run kubectl logs for the full context",
  },
];

/** The external-dns container's recent log lines, or why the API server could not serve them. */
export type LogObservation = { lines: string[] } | { unreadable: string };

export function logChecks(log: LogObservation): CheckResult[] {
  if ("unreadable" in log)
    return [
      {
        area: "logs",
        check: "recent log",
        status: "warn",
        detail: `not checked: the API server could not serve the log (${log.unreadable})`,
        hint: "read it where your cluster keeps container logs, and look for 401, 403, 429 and level=error lines",
      },
    ];
  const lines = log.lines;
  const findings = LOG_PATTERNS.flatMap(({ check, pattern, status, hint }) => {
    const hits = lines.filter((line) => pattern.test(line));
    return hits.length === 0
      ? []
      : [
          {
            area: "logs" as const,
            check,
            status,
            detail: `${hits.length} line(s), e.g. ${hits[0].slice(0, 200)}`,
            hint,
          },
        ];
  });
  return findings.length > 0
    ? findings
    : [
        {
          area: "logs",
          check: "recent log",
          status: "pass",
          detail: `${lines.length} recent line(s), no errors`,
        },
      ];
}

/** The exit code of a verification: 1 when anything failed. */
export function exitCode(results: CheckResult[]): number {
  return results.some((result) => result.status === "fail") ? 1 : 0;
}
