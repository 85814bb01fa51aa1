/**
 * `plan --against-deployed`: the plan compared with the stack's deployed
 * state, resource by resource (create / update / replace / delete / same),
 * and what those changes do, in words. The program runs offline against a
 * world read from the state (deployedWorld.ts), so only what the config
 * changes differs.
 *
 * The chart is a component: the state holds the objects it rendered, not its
 * values. Its Deployment carries what the values decide (the container's
 * arguments, image, resources and pod annotations, the chart's version), so
 * the chart's objects are compared through it.
 */
import { TOKEN_SECRET_NAME } from "../components/sopsSecret";
import { RENAME_COMMAND } from "../components/txtOwnerRename";
import { MOVE_COMMAND } from "../components/txtOwnershipMove";
import type { DeployedResource, DeployedState } from "./deployedState";
import { deployedResource, TOKEN_TYPES } from "./deployedWorld";
import type { OfflineRun, RegisteredResource } from "./offline";
import { changedPaths, inputChanges, isReplacedBy, providerReplaceFields } from "./resourceDiff";

export type Operation = "create" | "update" | "replace" | "delete" | "same";

export interface ResourceChange {
  operation: Operation;
  type: string;
  /** The resource's name: the last part of its URN. */
  name: string;
  /** The inputs that differ (top-level, as `pulumi preview` lists them), or why. */
  fields: string[];
}

export interface DeployedComparison {
  stack: string;
  /** When the compared state was written. */
  updatedAt?: string;
  /** Every resource that is created, updated, replaced or deleted. */
  changes: ResourceChange[];
  /** How many resources stay as they are. */
  unchanged: number;
  /** What the changes do, in words; empty when nothing changes. */
  consequences: string[];
}

const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";

/** What the plan's run knows about the chart it would deploy. */
export interface PlannedChartFacts {
  version: string;
  namespace: string;
  imageTag: string;
  containerArgs: string[];
  podAnnotations: Record<string, string>;
  resources: unknown;
}

export function compareWithDeployed(
  state: DeployedState,
  run: Pick<OfflineRun, "record" | "constructed">,
  chart: PlannedChartFacts | undefined,
): DeployedComparison {
  const planned = run.record.resources.filter(
    (resource) => resource.custom && isCompared(resource.type),
  );
  const replaceOnChanges = (resource: RegisteredResource) =>
    run.constructed.find((c) => c.type === resource.type && c.name === resource.name)?.opts
      .replaceOnChanges ?? [];
  const rows: ResourceChange[] = planned.map((resource) => {
    const deployed = deployedResource(state, resource.type, resource.name);
    if (!deployed) return change("create", resource.type, resource.name, []);
    const paths = inputChanges(deployed, resource.inputs);
    const replaceFields = [
      ...replaceOnChanges(resource),
      ...providerReplaceFields(resource.type, resource.inputs),
    ];
    const operation =
      paths.length === 0 ? "same" : isReplacedBy(paths, replaceFields) ? "replace" : "update";
    return change(operation, resource.type, resource.name, topLevel(paths));
  });
  const plannedKeys = new Set(planned.map((resource) => `${resource.type}::${resource.name}`));
  const chartChildren = state.resources.filter((resource) => isChartChild(state, resource));
  const deleted = state.resources
    .filter((resource) => resource.custom && isCompared(resource.type))
    .filter((resource) => !chartChildren.includes(resource))
    .filter((resource) => !plannedKeys.has(`${resource.type}::${nameOf(resource)}`))
    .map((resource) => change("delete", resource.type, nameOf(resource), []));
  const chartName = run.record.ofType(CHART_TYPE)[0]?.name ?? "chart";
  const deployedChart = deployedChartOf(chartChildren);
  const chartRows = chartChanges(chartChildren, deployedChart, chart, chartName);
  const all = [...rows, ...chartRows, ...deleted];
  const changes = all.filter((row) => row.operation !== "same");
  return {
    stack: state.stack,
    updatedAt: state.updatedAt,
    changes,
    unchanged: all.length - changes.length,
    consequences: consequences(changes, state, run, chart, deployedChart),
  };
}

/** Custom resources the program manages; providers and stack references are the engine's. */
function isCompared(type: string): boolean {
  return !type.startsWith("pulumi:");
}

function isChartChild(state: DeployedState, resource: DeployedResource): boolean {
  const parent = state.resources.find((candidate) => candidate.urn === resource.parent);
  return parent?.type === CHART_TYPE;
}

function nameOf(resource: DeployedResource): string {
  return resource.urn.split("::").slice(3).join("::");
}

function change(
  operation: Operation,
  type: string,
  name: string,
  fields: string[],
): ResourceChange {
  return { operation, type, name, fields };
}

function topLevel(paths: string[]): string[] {
  return [...new Set(paths.map((path) => path.split(".")[0]))];
}

/** The deployed chart, as its Deployment shows it. */
interface DeployedChart {
  deployment: DeployedResource;
  facts: PlannedChartFacts;
  /** The Deployment's strategy (`Recreate`, `RollingUpdate`). */
  strategy?: string;
}

function deployedChartOf(children: DeployedResource[]): DeployedChart | undefined {
  const deployment = children.find((resource) => resource.type === DEPLOYMENT_TYPE);
  if (!deployment) return undefined;
  const spec = (deployment.inputs as { spec?: { strategy?: { type?: string } } }).spec;
  return { deployment, facts: deployedChartFacts(deployment), strategy: spec?.strategy?.type };
}

/** The chart's objects: through its Deployment, what the planned values change. */
function chartChanges(
  children: DeployedResource[],
  deployedChart: DeployedChart | undefined,
  chart: PlannedChartFacts | undefined,
  chartName: string,
): ResourceChange[] {
  const row = (resource: DeployedResource, operation: Operation, fields: string[]) =>
    change(operation, resource.type, nameOf(resource), fields);
  if (!chart) return children.map((resource) => row(resource, "delete", []));
  if (!deployedChart) return [change("create", CHART_TYPE, chartName, [])];
  const { deployment, facts: deployed } = deployedChart;
  const namespaceMoves = deployed.namespace !== chart.namespace;
  const versionChanges = deployed.version !== chart.version;
  const podTemplate = podTemplateChanges(deployed, chart);
  const sourcesChange =
    JSON.stringify(sourceArgs(deployed.containerArgs)) !==
    JSON.stringify(sourceArgs(chart.containerArgs));
  return children.map((resource) => {
    const namespaced =
      typeof (resource.inputs.metadata as { namespace?: unknown })?.namespace === "string";
    if (namespaceMoves && namespaced) return row(resource, "replace", ["metadata"]);
    if (namespaceMoves && resource.type.endsWith(":ClusterRoleBinding"))
      return row(resource, "update", ["subjects"]);
    const version = `chart ${deployed.version} → ${chart.version}`;
    if (versionChanges)
      return row(
        resource,
        "update",
        resource === deployment ? [version, ...podTemplate] : [version],
      );
    if (resource === deployment && podTemplate.length > 0)
      return row(resource, "update", podTemplate);
    if (sourcesChange && resource.type.endsWith(":ClusterRole"))
      return row(resource, "update", ["rules"]);
    return row(resource, "same", []);
  });
}

function deployedChartFacts(deployment: DeployedResource): PlannedChartFacts {
  const inputs = deployment.inputs as {
    metadata?: { namespace?: string; labels?: Record<string, string> };
    spec?: {
      template?: {
        metadata?: { annotations?: Record<string, string> };
        spec?: { containers?: { args?: string[]; image?: string; resources?: unknown }[] };
      };
    };
  };
  const container = inputs.spec?.template?.spec?.containers?.[0] ?? {};
  return {
    version: (inputs.metadata?.labels?.["helm.sh/chart"] ?? "").replace(/^external-dns-/, ""),
    namespace: inputs.metadata?.namespace ?? "",
    imageTag: (container.image ?? "").split(":").pop()?.replace(/^v/, "") ?? "",
    containerArgs: container.args ?? [],
    podAnnotations: inputs.spec?.template?.metadata?.annotations ?? {},
    resources: container.resources,
  };
}

/** What differs in the pod template, in the chart's words. */
function podTemplateChanges(deployed: PlannedChartFacts, planned: PlannedChartFacts): string[] {
  const differs = (key: keyof PlannedChartFacts) =>
    changedPaths(deployed[key], planned[key]).length > 0;
  return [
    differs("containerArgs") && "args",
    differs("imageTag") && "image",
    differs("resources") && "resources",
    differs("podAnnotations") && "pod annotations",
  ].filter((field): field is string => field !== false);
}

function sourceArgs(args: string[]): string[] {
  return args.filter((arg) => arg.startsWith("--source=")).sort();
}

/** What the changes do, in words, most consequential first. */
function consequences(
  changes: ResourceChange[],
  state: DeployedState,
  run: Pick<OfflineRun, "record">,
  chart: PlannedChartFacts | undefined,
  deployedChart: DeployedChart | undefined,
): string[] {
  const danger = namespaceDanger(changes, state, chart);
  if (!chart && changes.some((row) => row.operation === "delete"))
    return [
      ...danger,
      "Everything this stack deployed is deleted: external-dns, the SopsSecret and Secret, and the Cloudflare token. The DNS records external-dns made stay in the zones.",
    ];
  return [
    ...danger,
    ...tokenConsequences(changes),
    ...chartVersionConsequences(deployedChart, chart),
    ...restartConsequences(changes, deployedChart),
    ...stepConsequences(changes, run),
  ];
}

function namespaceDanger(
  changes: ResourceChange[],
  state: DeployedState,
  chart: PlannedChartFacts | undefined,
): string[] {
  const namespace = changes.find(
    (row) => row.type === "kubernetes:core/v1:Namespace" && row.operation === "replace",
  );
  if (!namespace) return [];
  const from = deployedResource(state, namespace.type, namespace.name)?.id ?? "?";
  return [
    `DANGER: the namespace ${from} is replaced by ${chart?.namespace ?? "another"}: Pulumi creates the new one, starts external-dns and the token's Secret anew there, and then deletes ${from} with everything in it, including objects this stack does not manage.`,
  ];
}

/** The token's inputs, in a reader's words. */
const TOKEN_FIELD_WORDS: Record<string, string> = {
  name: "name",
  expiresOn: "expiry",
  condition: "client IPs",
  policies: "zones or permissions",
  accountId: "account",
};

/** The token's fate, and the re-encryption that carries a new one to the cluster. */
function tokenConsequences(changes: ResourceChange[]): string[] {
  const token = changes.find((row) => TOKEN_TYPES.includes(row.type));
  const fields = (token?.fields ?? [])
    .map((field) => TOKEN_FIELD_WORDS[field] ?? field)
    .join(" and ");
  const said = {
    replace: `A new Cloudflare token is minted (new ${fields}); the old one is deleted at the end of the up, once external-dns reads the new one.`,
    create: "A Cloudflare token is minted.",
    update: `The token is updated in place at Cloudflare (new ${fields}): same token, same value.`,
    delete: "The deployed Cloudflare token is deleted.",
    same: undefined,
  }[token?.operation ?? "same"];
  const encrypts = changes.some(
    (row) => row.type === "command:local:Command" && row.name.endsWith("-sops-encrypt"),
  );
  return [
    ...(said ? [said] : []),
    ...(encrypts
      ? [
          `sops encrypts the token again; the operator writes it into the Secret ${TOKEN_SECRET_NAME}.`,
        ]
      : []),
  ];
}

function chartVersionConsequences(
  deployedChart: DeployedChart | undefined,
  chart: PlannedChartFacts | undefined,
): string[] {
  if (!deployedChart || !chart) return [];
  const { version } = deployedChart.facts;
  if (version === chart.version) return [];
  return [
    `The chart moves from ${version} to ${chart.version}: every object it renders follows it (pulumi preview shows any it adds or removes).`,
  ];
}

function restartConsequences(
  changes: ResourceChange[],
  deployedChart: DeployedChart | undefined,
): string[] {
  const deployment = changes.find(
    (row) => row.type === DEPLOYMENT_TYPE && row.operation === "update",
  );
  if (!deployment) return [];
  const recreate =
    deployedChart?.strategy === "Recreate"
      ? "; the Recreate strategy stops the running pod before the new one starts"
      : "";
  return [
    `external-dns restarts: its pod template changes (${deployment.fields.join(", ")})${recreate}.`,
  ];
}

/** The steps an up runs after the rollout, when this change adds or changes them. */
function stepConsequences(changes: ResourceChange[], run: Pick<OfflineRun, "record">): string[] {
  const runs = (command: string) =>
    run.record
      .ofType("command:local:Command")
      .some(
        (step) =>
          step.inputs.create === command &&
          changes.some((row) => row.name === step.name && row.operation !== "delete"),
      );
  return [
    ...(runs(MOVE_COMMAND)
      ? ["After the rollout, this owner's ownership records move to the new TXT prefix."]
      : []),
    ...(runs(RENAME_COMMAND)
      ? ["After the rollout, this cluster's ownership records are renamed to the new owner ID."]
      : []),
  ];
}
