/**
 * The offline plan: runs the real program under the plan's world and reports
 * what it registered. Everything here is read off the program's resources and
 * outputs; nothing recomputes what the program decides.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { describeReading } from "../components/annotationPrefixes";
import type { ChartValues } from "../components/chartValues";
import { annotationReading, LEGACY_ANNOTATION_PREFIX } from "../components/externalDnsReleases";
import { describeCrds, requiredGatewayCrds } from "../components/gatewayApi";
import { describeHostnameFilter, managesHostname } from "../components/hostnameFilter";
import { DEFAULT_DECRYPTION_TIMING } from "../components/sopsDecryption";
import {
  SOPS_ENCRYPTED_SUFFIX,
  TOKEN_SECRET_KEY,
  TOKEN_SECRET_NAME,
} from "../components/sopsSecret";
import { TOKEN_PERMISSION_GROUPS, zoneIdOfResourceKey } from "../components/tokenPolicy";
import { RENAME_COMMAND, type RenameCommandInput } from "../components/txtOwnerRename";
import { MOVE_COMMAND, type MoveCommandInput } from "../components/txtOwnershipMove";
import { type OwnershipRecord, ownershipRecords, ownershipTxtName } from "../components/txtRecords";
import { ConfigError } from "../stacks/configError";
import { goDurationSeconds, isWithinDomain } from "../stacks/formats";
import { DECLARED_HOSTNAME_SOURCES } from "../stacks/options";
import { loadSettings, projectKeys, type Settings, type Zone } from "../stacks/settings";
import { NEVER } from "../stacks/stackOutputs";
import {
  compareWithDeployed,
  type DeployedComparison,
  type PlannedChartFacts,
} from "./againstDeployed";
import { type ApiUsageEstimate, DEFAULT_RECORDS_PER_ZONE, estimateApiUsage } from "./apiUsage";
import type { DeployedStateReading } from "./deployedState";
import { deployedWorld } from "./deployedWorld";
import {
  type ConstructedResource,
  type OfflineRun,
  type OfflineWorld,
  resolved,
  runOffline,
} from "./offline";
import { permissionGroupName, planWorld } from "./world";

export interface PlanOptions {
  /** DNS records per zone for the API estimate. */
  records?: number;
  /** Hostnames to show the ownership records of, instead of the samples. */
  hostnames?: string[];
  /** Read the cluster for the checks made before any change (`--cluster`); default: offline. */
  liveCluster?: OfflineWorld["liveCluster"];
  /** The project's stack files the stack is checked against (owner IDs, filters); default: none. */
  stackFiles?: OfflineWorld["stackFiles"];
  /** The stack's deployed state to compare with (`--against-deployed`), or why it could not be read. */
  deployed?: DeployedStateReading;
}

/** The plan compared with the deployed stack, or why it could not be (the plan then stands alone). */
export type AgainstDeployed =
  | ({ read: true } & DeployedComparison)
  | { read: false; stack: string; reason: string };

export interface PlannedResource {
  type: string;
  name: string;
  children: PlannedResource[];
}

export interface TokenScope {
  name: string;
  permissionGroups: string[];
  zones: { name: string; id: string }[];
  /** Client IP ranges the token works from; empty: any. */
  clientIps: string[];
  /** RFC 3339 expiry, or null when the token does not expire. */
  expiresOn: string | null;
  /** RFC 3339 time from which `pulumi up` mints a replacement, or null without rotation. */
  nextRotation: string | null;
  /** Who owns the token: the bootstrap token's user, or an account. */
  owner: { kind: "user" } | { kind: "account"; accountId: string };
}

export interface PlannedSopsSecret {
  namespace: string;
  name: string;
  /** The Secret the operator creates, and its key. */
  secret: { name: string; key: string };
  recipients: string[];
  encrypts: string;
  /** Where the GitOps copy is written, or null. */
  gitopsFile: string | null;
  /** The manifest before encryption, the token as a placeholder. */
  manifest: unknown;
}

export interface PlannedChart {
  chart: string;
  repository: string | null;
  version: string;
  namespace: string;
  release: string;
  /** The external-dns version the chart runs (its image tag without the v). */
  externalDnsVersion: string;
  /** Which annotation prefixes that external-dns reads, in words. */
  annotations: string;
  values: Record<string, unknown>;
  containerArgs: string[];
}

export interface PlannedOwnershipMove {
  ownerId: string;
  fromPrefix: string;
  toPrefix: string;
  zones: string[];
  /** For the ownership records shown: the old name each is moved from (those inside a zone). */
  samples: { host: string; recordType: string; from: string; to: string }[];
}

export interface PlannedOwnerRename {
  fromOwnerId: string;
  toOwnerId: string;
  zones: string[];
  /** The sources whose declared hostnames are read when the step runs. */
  sourcesRead: string[];
  /** The stack's sources the step cannot read: their records keep the old owner. */
  sourcesNotRead: string[];
}

export interface Plan {
  stack: string;
  valid: boolean;
  enabled: boolean;
  errors: string[];
  /** Whether the cluster was read for the checks made before any change (`--cluster`). */
  clusterRead: boolean;
  /** What those checks refused, as pulumi preview and up would (only with `--cluster`). */
  refusal?: string;
  warnings: string[];
  resources: PlannedResource[];
  token?: TokenScope;
  sopsSecret?: PlannedSopsSecret;
  chart?: PlannedChart;
  /** Which hostnames external-dns manages, in words. */
  managedHostnames?: string;
  /** What `pulumi preview` and `pulumi up` read from the cluster directly, in words. */
  clusterChecks?: string[];
  /** Of the sample hosts, or of the hostnames asked for (`--hostname`) that external-dns manages. */
  ownershipTxtRecords?: OwnershipRecord[];
  /** Hostnames asked for that the filters leave to others: external-dns writes nothing for them. */
  unmanagedHostnames?: string[];
  /** The move of ownership records to the stack's prefix (`migrateFromTxtPrefix`), if the stack makes one. */
  txtOwnershipMove?: PlannedOwnershipMove;
  /** The rename of this cluster's ownership records to the stack's owner (`migrateFromTxtOwnerId`), if any. */
  txtOwnerRename?: PlannedOwnerRename;
  apiUsage?: ApiUsageEstimate;
  /** With `--against-deployed`: what the plan changes in the deployed stack. */
  againstDeployed?: AgainstDeployed;
}

/** Runs the program offline with a stack's config and reports what it would deploy. */
export async function buildPlan(
  stack: string,
  config: Record<string, string>,
  options: PlanOptions = {},
): Promise<Plan> {
  const logged = captureLogs();
  const clusterRead = options.liveCluster !== undefined;
  const deployed = options.deployed?.kind === "read" ? options.deployed.state : undefined;
  const world: OfflineWorld = {
    ...(deployed ? deployedWorld(deployed, planWorld, zoneNamesOf(config)) : planWorld),
    liveCluster: options.liveCluster,
    stackFiles: options.stackFiles,
  };
  let run: OfflineRun;
  try {
    run = await runOffline(stack, config, world);
  } catch (error) {
    const empty = emptyPlan(stack, logged, clusterRead);
    if (error instanceof ConfigError) return { ...empty, valid: false, errors: error.problems };
    if (clusterRead && pulumi.RunError.isInstance(error))
      return { ...empty, valid: false, refusal: (error as Error).message };
    throw error;
  } finally {
    logged.restore();
  }
  if (!run.exports.enabled) {
    const againstDeployed = compared(options.deployed, stack, run, undefined);
    return { ...emptyPlan(stack, logged, clusterRead), enabled: false, againstDeployed };
  }

  const settings = loadSettings(projectKeys(config));
  if (settings.kind !== "enabled")
    throw new Error("the program deployed with a config that does not load");
  const [chart] = run.record.ofType("kubernetes:helm.sh/v4:Chart");
  const containerArgs = await resolved(run.exports.externalDnsArgs as pulumi.Output<string[]>);
  const apiUsage = estimateApiUsage({
    zoneCount: containerArgs.filter((arg) => arg.startsWith("--zone-id-filter=")).length,
    recordsPerZone: options.records ?? DEFAULT_RECORDS_PER_ZONE,
    recordsPerPage: Number(argValue(containerArgs, "--cloudflare-dns-records-per-page")),
    intervalSeconds: goDurationSeconds(argValue(containerArgs, "--interval")),
    triggerLoopOnEvent: containerArgs.includes("--events"),
  });
  const ownership = ownershipOf(
    run.exports.ownershipTxtRecords,
    settings.settings,
    options.hostnames,
  );
  return {
    ...emptyPlan(stack, logged, clusterRead),
    warnings: [...logged.warnings, ...apiUsage.warnings],
    resources: resourceTree(run.constructed),
    token: tokenScope(run, settings.settings.zones, world),
    sopsSecret: plannedSopsSecret(run, settings.settings.sopsAgeRecipients),
    chart: plannedChart(chart.inputs, containerArgs, settings.settings),
    managedHostnames: describeHostnameFilter(settings.settings),
    clusterChecks: clusterChecks(settings.settings),
    ...ownership,
    txtOwnershipMove: plannedMove(run, ownership.ownershipTxtRecords ?? []),
    txtOwnerRename: plannedRename(run),
    apiUsage,
    againstDeployed: compared(
      options.deployed,
      stack,
      run,
      plannedChartFacts(chart.inputs, containerArgs, settings.settings),
    ),
  };
}

/** The zone names of a config in its order; none when it does not load (the run then reports why). */
function zoneNamesOf(config: Record<string, string>): string[] {
  try {
    const loaded = loadSettings(projectKeys(config));
    return loaded.kind === "enabled" ? loaded.settings.zones.map((zone) => zone.name) : [];
  } catch {
    return [];
  }
}

function compared(
  reading: DeployedStateReading | undefined,
  stack: string,
  run: OfflineRun,
  chart: PlannedChartFacts | undefined,
): AgainstDeployed | undefined {
  if (reading === undefined) return undefined;
  if (reading.kind === "unreadable") return { read: false, stack, reason: reading.reason };
  return { read: true, ...compareWithDeployed(reading.state, run, chart) };
}

function plannedChartFacts(
  inputs: Record<string, unknown>,
  containerArgs: string[],
  settings: Settings,
): PlannedChartFacts {
  const values = inputs.values as ChartValues;
  return {
    version: String(inputs.version),
    namespace: String(inputs.namespace),
    imageTag: values.image?.tag ?? settings.externalDnsVersion,
    containerArgs,
    podAnnotations: values.podAnnotations,
    resources: values.resources,
  };
}

/** The move step's settings, read off the command the program registered, with sample names. */
function plannedMove(
  run: OfflineRun,
  records: OwnershipRecord[],
): PlannedOwnershipMove | undefined {
  const command = run.record
    .ofType("command:local:Command")
    .find((resource) => resource.inputs.create === MOVE_COMMAND);
  if (!command) return undefined;
  const input = JSON.parse(String(command.inputs.stdin)) as MoveCommandInput;
  const zones = input.zones.map((zone) => zone.name);
  const inZone = (name: string) => zones.some((zone) => isWithinDomain(name, zone));
  return {
    ownerId: input.ownerId,
    fromPrefix: input.fromPrefix,
    toPrefix: input.toPrefix,
    zones,
    samples: records
      .map((record) => ({
        host: record.host,
        recordType: record.recordType,
        from: ownershipTxtName(record.host, record.recordType, input.fromPrefix),
        to: record.txtName,
      }))
      .filter((sample) => inZone(sample.from)),
  };
}

/** The rename step's settings, read off the command the program registered. */
function plannedRename(run: OfflineRun): PlannedOwnerRename | undefined {
  const command = run.record
    .ofType("command:local:Command")
    .find((resource) => resource.inputs.create === RENAME_COMMAND);
  if (!command) return undefined;
  const input = JSON.parse(String(command.inputs.stdin)) as RenameCommandInput;
  const readable = DECLARED_HOSTNAME_SOURCES as readonly string[];
  return {
    fromOwnerId: input.fromOwnerId,
    toOwnerId: input.toOwnerId,
    zones: input.zones.map((zone) => zone.name),
    sourcesRead: input.sources.filter((source) => readable.includes(source)),
    sourcesNotRead: input.sources.filter((source) => !readable.includes(source)),
  };
}

/** The program's sample ownership records, or those of the hostnames asked for. */
function ownershipOf(
  samples: OwnershipRecord[] | undefined,
  settings: Settings,
  hostnames: string[] | undefined,
): Pick<Plan, "ownershipTxtRecords" | "unmanagedHostnames"> {
  if (hostnames === undefined) return { ownershipTxtRecords: samples };
  const names = hostnames.map((hostname) => hostname.toLowerCase().replace(/\.$/, ""));
  const managed = names.filter((hostname) => managesHostname(settings, hostname));
  return {
    ownershipTxtRecords: ownershipRecords(managed, settings.txtPrefix),
    unmanagedHostnames: names.filter((hostname) => !managed.includes(hostname)),
  };
}

function emptyPlan(stack: string, logged: { warnings: string[] }, clusterRead: boolean): Plan {
  return {
    stack,
    clusterRead,
    valid: true,
    enabled: true,
    errors: [],
    warnings: [...logged.warnings],
    resources: [],
  };
}

/** Takes over Pulumi's log while the program runs: warnings become part of the plan, nothing is printed. */
function captureLogs(): { warnings: string[]; restore(): void } {
  const log = pulumi.log as { -readonly [K in keyof typeof pulumi.log]: (typeof pulumi.log)[K] };
  const original = { info: log.info, warn: log.warn, debug: log.debug };
  const warnings: string[] = [];
  log.warn = async (message: string) => {
    warnings.push(message);
  };
  log.info = async () => undefined;
  log.debug = async () => undefined;
  return {
    warnings,
    restore() {
      Object.assign(log, original);
    },
  };
}

function clusterChecks(settings: Settings): string[] {
  const crds = requiredGatewayCrds(settings.sources, settings.externalDnsVersion);
  const timing = DEFAULT_DECRYPTION_TIMING;
  return [
    `before any change (preview and up): an external-dns already running in namespace ${settings.namespace} must use --txt-prefix=${settings.txtPrefix}${orMigrated(settings.migrateFromTxtPrefix)} and --txt-owner-id=${settings.txtOwnerId}${orMigrated(settings.migrateFromTxtOwnerId)}, ` +
      "or the run fails, naming the records this stack would orphan; one this program did not deploy is taken over only by a run with PULUMI_K8S_ENABLE_PATCH_FORCE=true; an unreachable cluster warns",
    ...(crds.length === 0
      ? []
      : [
          `before any change (preview and up): the Gateway API CRDs ${describeCrds(crds)} exist and serve those versions; a missing one fails, an unreachable cluster warns`,
        ]),
    `before any change (preview and up): no watched Service, Ingress, Gateway or route carries an external-dns annotation that ${annotationsCheckReading(settings)} would not read; ` +
      (settings.annotationPrefix === "legacy"
        ? "one annotated only under another prefix fails, naming the objects"
        : `objects annotated only under ${LEGACY_ANNOTATION_PREFIX} are named in a warning (annotationPrefix current)`) +
      ", an unreachable cluster warns",
    `after the SopsSecret is applied (up): sops-secrets-operator reports Healthy and Secret ${TOKEN_SECRET_NAME} holds the new token before the chart rolls; ` +
      `an operator error fails after ${timing.errorGraceMs / 1000}s, no progress after ${timing.timeoutMs / 1000}s`,
  ];
}

function orMigrated(from: string | undefined): string {
  return from === undefined ? "" : ` (or ${from}, which this up moves from)`;
}

function argValue(args: string[], flag: string): string {
  const arg = args.find((candidate) => candidate.startsWith(`${flag}=`));
  if (!arg) throw new Error(`the program renders no ${flag} argument`);
  return arg.slice(flag.length + 1);
}

function resourceTree(constructed: ConstructedResource[]): PlannedResource[] {
  const nodes = new Map<pulumi.Resource, PlannedResource>();
  for (const entry of constructed) {
    nodes.set(entry.resource, {
      type: entry.type,
      name: entry.name,
      children: [],
    });
  }
  const roots: PlannedResource[] = [];
  for (const entry of constructed) {
    const node = nodes.get(entry.resource) as PlannedResource;
    const parent = entry.opts.parent ? nodes.get(entry.opts.parent) : undefined;
    (parent?.children ?? roots).push(node);
  }
  return roots;
}

function tokenScope(run: OfflineRun, zones: Zone[], world: OfflineWorld): TokenScope {
  const [token] = [
    ...run.record.ofType("cloudflare:index/apiToken:ApiToken"),
    ...run.record.ofType("cloudflare:index/accountToken:AccountToken"),
  ];
  const [policy] = token.inputs.policies as {
    permissionGroups: { id: string }[];
    resources: string;
  }[];
  const condition = token.inputs.condition as { requestIp?: { ins?: string[] } } | undefined;
  const zoneIds = Object.keys(JSON.parse(policy.resources)).map(zoneIdOfResourceKey);
  const names = new Map(zones.map((zone) => [zone.id ?? world.zoneId(zone.name), zone.name]));
  const groupName = (id: string) =>
    TOKEN_PERMISSION_GROUPS.find((name) => world.permissionGroups(name)[0]?.id === id) ??
    permissionGroupName(id);
  return {
    name: String(token.inputs.name),
    permissionGroups: policy.permissionGroups.map((group) => groupName(group.id)),
    zones: zoneIds.map((id) => ({ name: names.get(id) ?? id, id })),
    clientIps: condition?.requestIp?.ins ?? [],
    expiresOn: typeof token.inputs.expiresOn === "string" ? token.inputs.expiresOn : null,
    nextRotation:
      run.exports.tokenNextRotation === undefined || run.exports.tokenNextRotation === NEVER
        ? null
        : run.exports.tokenNextRotation,
    owner:
      typeof token.inputs.accountId === "string"
        ? { kind: "account", accountId: token.inputs.accountId }
        : { kind: "user" },
  };
}

function plannedSopsSecret(run: OfflineRun, recipients: string[]): PlannedSopsSecret {
  const command = run.record
    .ofType("command:local:Command")
    .find((resource) => resource.name.endsWith("-sops-encrypt"));
  if (!command) throw new Error("the program registered no sops encryption");
  const manifest = parse(String(command.inputs.stdin));
  const environment = command.inputs.environment as Record<string, string>;
  return {
    namespace: manifest.metadata.namespace,
    name: manifest.metadata.name,
    secret: { name: TOKEN_SECRET_NAME, key: TOKEN_SECRET_KEY },
    recipients,
    encrypts: `every value under spec.secretTemplates (sops --encrypted-suffix ${SOPS_ENCRYPTED_SUFFIX}); apiVersion, kind and metadata stay readable`,
    gitopsFile: Object.values(environment)[0] ?? null,
    manifest,
  };
}

function plannedChart(
  inputs: Record<string, unknown>,
  containerArgs: string[],
  settings: Settings,
): PlannedChart {
  const values = inputs.values as Record<string, unknown>;
  const version = settings.externalDnsVersion;
  return {
    chart: String(inputs.chart),
    repository: (inputs.repositoryOpts as { repo?: string } | undefined)?.repo ?? null,
    version: String(inputs.version),
    namespace: String(inputs.namespace),
    release: String(inputs.name),
    externalDnsVersion: version,
    annotations: describeReading(version, annotationReading(version, settings.annotationPrefix)),
    values,
    containerArgs,
  };
}

/** `external-dns 0.22.0 (reading external-dns.alpha.kubernetes.io/)`. */
function annotationsCheckReading(settings: Settings): string {
  const { prefixes } = annotationReading(settings.externalDnsVersion, settings.annotationPrefix);
  return `external-dns ${settings.externalDnsVersion} (reading ${prefixes.join(" and ")})`;
}
