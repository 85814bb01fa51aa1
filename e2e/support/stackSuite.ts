/**
 * One stack of the program under test, for one test file: the environment
 * checked, a Cloudflare stand-in started, a scratch project with a fresh
 * backend and the minimal valid config, and everything cleaned up afterwards
 * (`pulumi destroy`, then the namespace and the chart's cluster-scoped objects).
 *
 * A setup problem (a missing variable, an unreachable cluster, a failing
 * `pulumi stack init`) makes every test of the file fail with it: never skip.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type CloudflareApi, startCloudflareApi } from "./cloudflareApi";
import { Cluster } from "./cluster";
import { checkEnvironment, describeProblems, type E2eEnvironment } from "./environment";
import { type ConfigValue, describeRun, ScratchProject } from "./project";
import { minimalConfig, STACK_ZONES } from "./stackConfig";

export { minimalConfig, STACK_ZONES } from "./stackConfig";

export interface StackSuiteOptions {
  /** Stack name; the namespace is `e2e-<stack>`, the TXT owner `e2e-<stack>`. */
  stack: string;
  /** Tools beyond pulumi and sops that the file needs on PATH. */
  tools?: string[];
  /** Config on top of (or replacing keys of) the base config. */
  config?: Record<string, ConfigValue>;
  /** A program of its own (a directory under e2e/fixtures/) instead of this project. */
  program?: string;
  /** The config to start from; default: this project's minimal valid config. */
  baseConfig?: (suite: StackSuite) => Record<string, ConfigValue>;
  /** Runs after the stack is configured, before the tests (e.g. objects made by hand). */
  prepare?: (suite: StackSuite) => Promise<void>;
}

export interface StackSuite {
  readonly stack: string;
  readonly namespace: string;
  readonly env: E2eEnvironment;
  readonly api: CloudflareApi;
  readonly cluster: Cluster;
  readonly project: ScratchProject;
  /** The zones of the stack's config: example.com by id, example.org by name (looked up). */
  readonly zones: ReadonlyArray<{ name: string; id: string }>;
}

/** Namespaces of this suite start with this; leftovers of earlier runs are recognised by it. */
export const NAMESPACE_PREFIX = "e2e-";

export const SETUP_TIMEOUT_MS = 180_000;
export const TEARDOWN_TIMEOUT_MS = 360_000;

/** Registers the hooks; the returned object is usable inside the tests. */
export function useStackSuite(options: StackSuiteOptions): StackSuite {
  const stack = options.stack;
  const namespace = `${NAMESPACE_PREFIX}${stack}`;
  let problem: string | undefined;
  let ready: StackSuite | undefined;
  let api: CloudflareApi | undefined;
  let project: ScratchProject | undefined;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    try {
      const check = await checkEnvironment(options.tools);
      if (!check.ok) {
        problem = describeProblems(check.problems);
        return;
      }
      const reachable = new Cluster();
      const clusterProblem = await reachable.problem();
      if (clusterProblem) {
        problem = describeProblems([clusterProblem]);
        return;
      }
      cluster = reachable;
      await cluster.deleteNamespace(namespace);
      await cluster.deleteChartClusterObjects((ns) => ns.startsWith(NAMESPACE_PREFIX));
      api = await startCloudflareApi();
      project = new ScratchProject(stack, { program: options.program });
      const suite: StackSuite = {
        stack,
        namespace,
        env: check.environment,
        api,
        cluster,
        project,
        zones: STACK_ZONES,
      };
      const base = (options.baseConfig ?? minimalConfig)(suite);
      await project.init({ ...base, ...options.config });
      await options.prepare?.(suite);
      ready = suite;
    } catch (error) {
      problem = `setting up stack ${stack} failed: ${(error as Error).stack ?? error}`;
    }
  }, SETUP_TIMEOUT_MS);

  beforeEach(() => {
    if (problem) throw new Error(problem);
  });

  afterAll(async () => {
    const failures: string[] = [];
    if (project && ready) {
      const destroyed = await project.destroy({ timeoutMs: 90_000 });
      if (destroyed.exitCode !== 0) {
        const left = cluster ? await cluster.describeNamespace(namespace) : "";
        failures.push(`${describeRun(destroyed)}\nleft in namespace ${namespace}:\n${left}`);
      }
    }
    if (cluster) {
      await cluster.deleteNamespace(namespace).catch((error) => failures.push(String(error)));
      await cluster
        .deleteChartClusterObjects((ns) => ns === namespace)
        .catch((error) => failures.push(String(error)));
    }
    await api?.close();
    if (failures.length === 0) project?.remove();
    else if (project) failures.push(`the scratch project is kept in ${project.dir}`);
    if (failures.length > 0) throw new Error(`cleaning up stack ${stack}:\n${failures.join("\n")}`);
  }, TEARDOWN_TIMEOUT_MS);

  const need = (): StackSuite => {
    if (!ready) throw new Error(problem ?? `stack ${stack} is not set up`);
    return ready;
  };
  return {
    stack,
    namespace,
    zones: STACK_ZONES,
    get env() {
      return need().env;
    },
    get api() {
      return need().api;
    },
    get cluster() {
      return need().cluster;
    },
    get project() {
      return need().project;
    },
  };
}
