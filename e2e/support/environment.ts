/**
 * What the end-to-end suite (`npm run test:e2e`) needs from its environment. It
 * deploys the real program with the real Pulumi CLI into a real cluster, like a
 * user would, and takes every piece from the environment:
 *
 * | variable                             | what                                                                                   |
 * | ------------------------------------ | -------------------------------------------------------------------------------------- |
 * | `PATH`                               | `pulumi` (3.x, with `pulumi-language-nodejs` beside it or on PATH), `sops` (the program |
 * |                                      | encrypts with it), `age-keygen` (operatorErrors.test.ts makes a foreign key with it),   |
 * |                                      | `external-dns-v0.22.0` (chart 1.22.0's pods: records, rotation, externalDns.ts),        |
 * |                                      | `external-dns` 0.21 and `external-dns-v0.23.0` (upgrade.test.ts; migration.test.ts and  |
 * |                                      | ownershipByPrefix.test.ts run 0.21),                                                  |
 * |                                      | `helm` (migration.test.ts installs the old chart 1.14.5 with it), and for              |
 * |                                      | migration.test.ts `external-dns-v0.14.2` (external-dns 0.14.2, the old installation's  |
 * |                                      | binary) and `openssl` (a certificate for its api.cloudflare.com, cloudflareProxy.ts)    |
 * |                                      | `pulumi-language-yaml` for component.test.ts's Pulumi YAML program                      |
 * | `PULUMI_HOME`                        | where the providers the project's SDKs ask for are installed (`pulumi plugin ls`):      |
 * |                                      | kubernetes, command and cloudflare, at the versions in node_modules/@pulumi/*           |
 * | `KUBECONFIG`                         | the cluster to deploy to, with sops-secrets-operator running (its CRD installed), a     |
 * |                                      | scheduler and something that makes pods Ready (e.g. kwok). Must be set explicitly: the  |
 * |                                      | suite creates and deletes namespaces and the chart's ClusterRole `external-dns`         |
 * | `E2E_OPERATOR_AGE_PUBLIC_KEY`        | the operator's age public key (`age1…`), or:                                            |
 * | `E2E_OPERATOR_AGE_PUBLIC_KEY_FILE`   | a file holding it (a `.pub` file, or a key file with a `# public key:` line)            |
 * | `E2E_CHART_REPOSITORY`               | an `https://` Helm repository serving the external-dns chart (1.21.1, and 1.14.5)       |
 * | `SSL_CERT_FILE`                      | a CA bundle that trusts that repository, when its certificate is self-signed            |
 *
 * e2e/fleet.test.ts deploys two clusters of a fleet, so it needs a second cluster like the first:
 *
 * | `E2E_SECOND_KUBECONFIG`                      | the kubeconfig of a second cluster with sops-secrets-operator    |
 * | `E2E_SECOND_OPERATOR_AGE_PUBLIC_KEY_FILE`    | its operator's age public key (default: the first operator's)    |
 *
 * Optional: `E2E_PROJECT_DIR` deploys the program of another copy of this project (default:
 * this checkout; node_modules always come from this checkout), `E2E_KEEP=1` keeps the scratch
 * projects (with every command's output in `logs/`), `E2E_VERBOSE=1` prints each command as it ends.
 *
 * The suite also sets, for every `pulumi` it runs, `PULUMI_SKIP_UPDATE_CHECK`,
 * `PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION` and `PULUMI_IGNORE_AMBIENT_PLUGINS`
 * (as realworld's env.sh does), and its own file backend and passphrase per stack.
 * The Cloudflare API is a loopback stand-in (cloudflareApi.ts) the suite starts itself.
 *
 * With the realworld toolkit (../shared/realworld in this workspace):
 *
 * ```sh
 * realworld/cluster-up.sh && realworld/chart-repo.sh && source realworld/env.sh
 * export E2E_OPERATOR_AGE_PUBLIC_KEY_FILE=$REALWORLD_HOME/run/age.pub E2E_CHART_REPOSITORY=$REALWORLD_CHART_REPO
 * npm run test:e2e
 * ```
 *
 * Anything missing makes every test fail with what to set; nothing is skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";

export interface E2eEnvironment {
  kubeconfig: string;
  operatorAgePublicKey: string;
  /** The chart repository URL, with a trailing slash. */
  chartRepository: string;
}

/** The providers the program's SDKs ask the engine for. */
export const PROVIDER_PACKAGES = ["kubernetes", "command", "cloudflare"] as const;

const AGE_RECIPIENT = /age1[02-9ac-hj-np-z]{58}/;
const PROJECT_ROOT = join(__dirname, "..", "..");

export type EnvironmentCheck =
  | { ok: true; environment: E2eEnvironment }
  | { ok: false; problems: string[] };

/**
 * Reads and checks the environment: the variables, the tools on PATH, the
 * installed plugins and the chart repository (not the cluster: see cluster.ts).
 */
export async function checkEnvironment(
  tools: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnvironmentCheck> {
  const problems: string[] = [];
  const kubeconfig = env.KUBECONFIG ?? "";
  if (kubeconfig === "")
    problems.push(
      "KUBECONFIG is not set: set it to the kubeconfig of a cluster with sops-secrets-operator running",
    );
  else if (!kubeconfig.split(":").some((file) => existsSync(file)))
    problems.push(`KUBECONFIG names no existing file: ${kubeconfig}`);

  const operatorKey = operatorAgePublicKey(env);
  if (typeof operatorKey !== "string") problems.push(operatorKey.problem);

  const repository = env.E2E_CHART_REPOSITORY ?? "";
  if (!/^https:\/\/\S+$/.test(repository))
    problems.push(
      `E2E_CHART_REPOSITORY must be the https:// URL of a Helm repository serving the external-dns chart; given ${JSON.stringify(repository)}`,
    );
  else {
    const reachable = await chartRepositoryProblem(withSlash(repository), env.SSL_CERT_FILE);
    if (reachable) problems.push(reachable);
  }

  problems.push(...missingTools(["pulumi", "sops", ...tools]));
  if (!problems.some((problem) => problem.startsWith("pulumi ")))
    problems.push(...missingPlugins());

  if (problems.length > 0 || typeof operatorKey !== "string") return { ok: false, problems };
  return {
    ok: true,
    environment: {
      kubeconfig,
      operatorAgePublicKey: operatorKey,
      chartRepository: withSlash(repository),
    },
  };
}

/** A second cluster, for the tests that stand two clusters of a fleet side by side. */
export interface SecondCluster {
  kubeconfig: string;
  operatorAgePublicKey: string;
}

/** Reads E2E_SECOND_KUBECONFIG (and its operator's key, by default the first operator's). */
export function checkSecondCluster(
  first: E2eEnvironment,
  env: NodeJS.ProcessEnv = process.env,
): { ok: true; cluster: SecondCluster } | { ok: false; problems: string[] } {
  const kubeconfig = env.E2E_SECOND_KUBECONFIG ?? "";
  const problems: string[] = [];
  if (kubeconfig === "")
    problems.push(
      "E2E_SECOND_KUBECONFIG is not set: set it to the kubeconfig of a second cluster with sops-secrets-operator (.ci/run starts one with realworld's cluster-up.sh)",
    );
  else if (!existsSync(kubeconfig))
    problems.push(`E2E_SECOND_KUBECONFIG names no existing file: ${kubeconfig}`);
  const keyFile = env.E2E_SECOND_OPERATOR_AGE_PUBLIC_KEY_FILE;
  const key = keyFile
    ? operatorAgePublicKey({ E2E_OPERATOR_AGE_PUBLIC_KEY_FILE: keyFile })
    : first.operatorAgePublicKey;
  if (typeof key !== "string")
    problems.push(key.problem.replace("E2E_OPERATOR", "E2E_SECOND_OPERATOR"));
  if (problems.length > 0 || typeof key !== "string") return { ok: false, problems };
  return { ok: true, cluster: { kubeconfig, operatorAgePublicKey: key } };
}

/** The message for a failed check: every problem on its own line. */
export function describeProblems(problems: readonly string[]): string {
  return [
    "The end-to-end environment is incomplete (see e2e/support/environment.ts):",
    ...problems.map((problem) => `  - ${problem}`),
  ].join("\n");
}

function operatorAgePublicKey(env: NodeJS.ProcessEnv): string | { problem: string } {
  const direct = env.E2E_OPERATOR_AGE_PUBLIC_KEY;
  const file = env.E2E_OPERATOR_AGE_PUBLIC_KEY_FILE;
  if (direct) {
    return AGE_RECIPIENT.test(direct.trim()) && direct.trim().length === 62
      ? direct.trim()
      : { problem: `E2E_OPERATOR_AGE_PUBLIC_KEY is not an age public key (age1…): ${direct}` };
  }
  if (file) {
    if (!existsSync(file))
      return { problem: `E2E_OPERATOR_AGE_PUBLIC_KEY_FILE names no existing file: ${file}` };
    const found = AGE_RECIPIENT.exec(readFileSync(file, "utf8"))?.[0];
    return (
      found ?? { problem: `E2E_OPERATOR_AGE_PUBLIC_KEY_FILE holds no age public key: ${file}` }
    );
  }
  return {
    problem:
      "E2E_OPERATOR_AGE_PUBLIC_KEY (age1…) or E2E_OPERATOR_AGE_PUBLIC_KEY_FILE is not set: set it to the age public key of the cluster's sops-secrets-operator",
  };
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/** Fetches index.yaml the way Helm would (trusting SSL_CERT_FILE); undefined when it lists external-dns. */
function chartRepositoryProblem(
  repository: string,
  caFile: string | undefined,
): Promise<string | undefined> {
  const ca = caFile && existsSync(caFile) ? readFileSync(caFile) : undefined;
  const url = `${repository}index.yaml`;
  return new Promise((resolve) => {
    const req = request(url, { ca, timeout: 10_000 }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      response.on("end", () =>
        resolve(
          response.statusCode !== 200
            ? `E2E_CHART_REPOSITORY: GET ${url} answered ${response.statusCode}`
            : /^\s+external-dns:/m.test(body)
              ? undefined
              : `E2E_CHART_REPOSITORY: ${url} lists no external-dns chart`,
        ),
      );
    });
    req.on("timeout", () => req.destroy(new Error("timed out after 10 s")));
    req.on("error", (error) =>
      resolve(
        `E2E_CHART_REPOSITORY: cannot fetch ${url}: ${error.message}` +
          (/certificate|self.signed/i.test(error.message)
            ? "; set SSL_CERT_FILE to a CA bundle that trusts the repository"
            : ""),
      ),
    );
    req.end();
  });
}

const TOOL_HINTS: Record<string, string> = {
  pulumi: "the Pulumi CLI 3.x (https://www.pulumi.com/docs/install/, or `source realworld/env.sh`)",
  sops: "sops 3.13 (go install github.com/getsops/sops/v3/cmd/sops@v3.13.3)",
  "age-keygen": "age (apt-get install age)",
  "external-dns": "external-dns 0.21 (go install sigs.k8s.io/external-dns@v0.21.0)",
  helm: "helm 3 (go install helm.sh/helm/v3/cmd/helm@v3.22.0)",
  "external-dns-v0.14.2":
    "external-dns 0.14.2 named external-dns-v0.14.2 (GOBIN=<dir> go install sigs.k8s.io/external-dns@v0.14.2, then rename it; .ci/install-tools.sh ensure_old_external_dns does both)",
  openssl: "openssl (apt-get install openssl)",
  "external-dns-v0.22.0":
    "external-dns 0.22.0 named external-dns-v0.22.0 (realworld/build.sh external-dns-next builds it: a plain go install fails on module versions the Go proxy does not serve)",
  "external-dns-v0.23.0":
    "external-dns 0.23.0 named external-dns-v0.23.0 (realworld/build.sh external-dns-next builds it, with Go 1.27)",
  "pulumi-language-yaml":
    "the Pulumi YAML language host, next to pulumi (realworld/build.sh builds it)",
};

function missingTools(tools: readonly string[]): string[] {
  return tools
    .filter((tool) => spawnSync("/bin/sh", ["-c", `command -v ${tool}`]).status !== 0)
    .map(
      (tool) => `${tool} is not on PATH: install ${TOOL_HINTS[tool] ?? tool} and put it on PATH`,
    );
}

/** Providers at the versions the SDKs in node_modules ask for, missing from `pulumi plugin ls`. */
function missingPlugins(): string[] {
  const listed = spawnSync("pulumi", ["plugin", "ls", "--json"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  if (listed.status !== 0)
    return [`\`pulumi plugin ls\` failed: ${listed.stderr.trim() || listed.stdout.trim()}`];
  const installed = (JSON.parse(listed.stdout || "[]") as { name: string; version: string }[]).map(
    (plugin) => `${plugin.name}@${plugin.version.replace(/^v/, "")}`,
  );
  return PROVIDER_PACKAGES.map((name) => {
    const version = JSON.parse(
      readFileSync(join(PROJECT_ROOT, "node_modules", "@pulumi", name, "package.json"), "utf8"),
    ).version as string;
    return installed.includes(`${name}@${version}`)
      ? undefined
      : `the resource plugin ${name} ${version} is not installed in PULUMI_HOME (${process.env.PULUMI_HOME ?? "~/.pulumi"}): ` +
          `pulumi plugin install resource ${name} ${version} [--file <binary>], or set PULUMI_HOME to where it is`;
  }).filter((problem): problem is string => problem !== undefined);
}
