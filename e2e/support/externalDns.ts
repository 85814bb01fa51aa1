/**
 * Runs the real external-dns binary for the chart's pods, the way a kubelet
 * would run their container: kwok makes the pods Ready in the cluster, and for
 * every running pod of the release this starts one `external-dns` process on
 * this machine, with
 *
 * - the container's own args and env from the pod spec (which the Deployment's
 *   template made), `secretKeyRef`s read from the Secret when the process starts;
 * - Kubernetes credentials from a token of the pod's ServiceAccount, bound to
 *   the pod (a TokenRequest, as the kubelet makes), so the chart's RBAC is what
 *   external-dns gets;
 * - `CLOUDFLARE_BASE_URL` pointing at the Cloudflare stand-in; pods of another
 *   image tag (the old 0.14.2 of a migration) run the binary and environment
 *   given for that tag (`runtimes`).
 *
 * Only two args change, both because a process on this machine is not a pod:
 * `--kubeconfig` (there is no in-cluster service account mount) and
 * `--metrics-address=127.0.0.1:0` (pods have their own network; processes
 * here would collide on :7979).
 *
 * A pod that is deleted, or is being deleted, has its process stopped
 * (SIGTERM) before any new pod's process starts, so the processes follow the
 * Deployment's rollout. Every process's output goes to `logDir` and is kept
 * for the tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { type Cluster, type KubeObject, waitFor } from "./cluster";
import { CONTAINER_NAME, RELEASE_NAME } from "./objects";

export const POD_SELECTOR = `app.kubernetes.io/name=external-dns,app.kubernetes.io/instance=${RELEASE_NAME}`;
const POLL_MS = 250;
/** The kubelet's crash back-off: 10 s, doubling up to 5 minutes (CrashLoopBackOff). */
const RESTART_BACKOFF_MS = { initial: 10_000, max: 300_000 };
const TOKEN_SECONDS = 3_600;
/**
 * The binary on PATH for each image tag the supported charts run: chart
 * 1.21.1's v0.21.0 is `external-dns`; 1.22.0's v0.22.0 and the v0.23.0 a
 * stack can choose are `external-dns-v0.22.0` and `external-dns-v0.23.0`
 * (../shared/realworld builds them; environment.ts lists where they come from).
 */
export const PATH_BINARIES: Record<string, string> = {
  "v0.21.0": "external-dns",
  "v0.22.0": "external-dns-v0.22.0",
  "v0.23.0": "external-dns-v0.23.0",
};

/** One external-dns process: which pod it stood for, when it ran, how it ended. */
export interface ProcessRecord {
  pod: string;
  /** The container's image, which chose the binary. */
  image: string;
  args: string[];
  /** SHA-256 of the CF_API_TOKEN it was given (never the value). */
  tokenSha256?: string;
  startedAt: number;
  stoppedAt?: number;
  /** Exit code or signal; `stopped` when this runner stopped it. */
  exit?: string;
  /** Whether this runner stopped it (pod gone, pause or close); otherwise it exited by itself. */
  stoppedByRunner: boolean;
  logFile: string;
}

interface Running {
  record: ProcessRecord;
  child: ChildProcess;
  lines: string[];
  exited: Promise<void>;
}

export interface ExternalDnsOptions {
  cluster: Cluster;
  namespace: string;
  /** The stand-in's base URL, for CLOUDFLARE_BASE_URL. */
  cloudflareBaseUrl: string;
  /** Where each process's output is written. */
  logDir: string;
  /** The cluster's kubeconfig (server and CA); default KUBECONFIG. */
  kubeConfig?: KubeConfig;
  /**
   * How to run pods of other external-dns versions, by image tag (`v0.14.2`):
   * the binary and the environment that reaches the stand-in. Pods of the tags
   * in PATH_BINARIES run that binary with CLOUDFLARE_BASE_URL; any other tag
   * without a runtime is an error.
   */
  runtimes?: Record<string, ExternalDnsRuntime>;
}

/** A build of external-dns for one image tag, and the environment it needs to reach the stand-in. */
export interface ExternalDnsRuntime {
  binary: string;
  env: Record<string, string>;
}

export class ExternalDnsPods {
  readonly history: ProcessRecord[] = [];
  readonly #options: ExternalDnsOptions;
  readonly #running = new Map<string, Running>();
  readonly #lines: string[] = [];
  readonly #errorLines: string[] = [];
  readonly #restarts = new Map<string, number>();
  readonly #credentialsDir = mkdtempSync(join(tmpdir(), "e2e-external-dns-"));
  readonly #kubeConfig: KubeConfig;
  #timer?: NodeJS.Timeout;
  #paused = false;
  #syncing?: Promise<void>;
  #lastError?: string;

  constructor(options: ExternalDnsOptions) {
    this.#options = options;
    this.#kubeConfig = options.kubeConfig ?? defaultKubeConfig();
    mkdirSync(options.logDir, { recursive: true });
  }

  /** Starts following the release's pods. */
  start(): void {
    this.#paused = false;
    if (this.#timer) return;
    const tick = () => {
      this.#syncing = this.#sync()
        .catch((error: Error) => {
          this.#lastError = error.message;
        })
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(tick, POLL_MS);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Stops every process and starts none until `resume` (the pods stay in the cluster). */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#syncing;
    await Promise.all([...this.#running.keys()].map((uid) => this.#stop(uid)));
  }

  resume(): void {
    this.#paused = false;
  }

  async close(): Promise<void> {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer) clearTimeout(timer);
    await this.pause();
    // The pods' ServiceAccount tokens: bound to pods that are gone, but no need to leave them.
    rmSync(this.#credentialsDir, { recursive: true, force: true });
  }

  /** Every line any process printed, in arrival order. */
  get lines(): readonly string[] {
    return this.#lines;
  }

  /** The processes running now. */
  get current(): ProcessRecord[] {
    return [...this.#running.values()].map((running) => running.record);
  }

  /** The most processes that ran at the same time, over the whole history. */
  maxConcurrent(): number {
    const events = this.history.flatMap((record) => [
      { at: record.startedAt, delta: 1 },
      { at: record.stoppedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
    ]);
    events.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let now = 0;
    let most = 0;
    for (const event of events) {
      now += event.delta;
      most = Math.max(most, now);
    }
    return most;
  }

  /**
   * Lines logged at level error or fatal, but for those a process prints once
   * it has been told to stop: external-dns logs `Failed to do run once:
   * context canceled` at fatal when SIGTERM interrupts a reconcile, as in a pod.
   */
  errorLines(): string[] {
    return [...this.#errorLines];
  }

  /** Processes that ended by themselves (crashed or exited), not stopped by the runner. */
  crashes(): ProcessRecord[] {
    return this.history.filter((record) => record.exit !== undefined && !record.stoppedByRunner);
  }

  /** Waits until exactly one process runs, for a pod whose args satisfy `accept`. */
  async waitForProcess(
    accept: (record: ProcessRecord) => boolean = () => true,
    timeoutMs = 60_000,
  ): Promise<ProcessRecord> {
    return waitFor(
      "an external-dns process for the release's pod",
      timeoutMs,
      async () => {
        const current = this.current;
        return current.length === 1 && accept(current[0]) ? current[0] : undefined;
      },
      async () =>
        `${this.current.length} running; pods: ${(await this.#pods()).map(describePod).join(", ") || "none"}` +
        (this.#lastError ? `; last error: ${this.#lastError}` : "") +
        `; last lines:\n${this.#lines.slice(-10).join("\n")}`,
    );
  }

  /** Waits until the processes have printed `count` more lines matching `pattern` than now. */
  async waitForLines(pattern: RegExp, count: number, timeoutMs = 60_000): Promise<void> {
    const seen = () => this.#lines.filter((line) => pattern.test(line)).length;
    const target = seen() + count;
    await waitFor(
      `${count} more external-dns log line(s) matching ${pattern}`,
      timeoutMs,
      async () => (seen() >= target ? true : undefined),
      async () => `${seen()} of ${target}; last lines:\n${this.#lines.slice(-10).join("\n")}`,
    );
  }

  async #pods(): Promise<KubeObject[]> {
    return this.#options.cluster.list(
      { apiVersion: "v1", plural: "pods", namespace: this.#options.namespace },
      POD_SELECTOR,
    );
  }

  async #sync(): Promise<void> {
    const pods = await this.#pods();
    const live = new Map(
      pods
        .filter((pod) => pod.status?.phase === "Running" && !pod.metadata.deletionTimestamp)
        .map((pod) => [pod.metadata.uid as string, pod]),
    );
    // Stop first: a pod's process ends before its successor's starts.
    for (const uid of this.#running.keys()) if (!live.has(uid)) await this.#stop(uid);
    if (this.#paused) return;
    for (const [uid, pod] of live) if (!this.#running.has(uid)) await this.#startFor(pod);
  }

  async #startFor(pod: KubeObject): Promise<void> {
    const container = (pod.spec.containers as ContainerSpec[]).find(
      (candidate) => candidate.name === CONTAINER_NAME,
    );
    if (!container) throw new Error(`pod ${pod.metadata.name} has no container ${CONTAINER_NAME}`);
    const kubeconfigFile = await this.#podKubeconfig(pod);
    const env = await this.#containerEnv(pod, container);
    const args = localArgs(container.args ?? [], kubeconfigFile);
    const name = pod.metadata.name;
    const logFile = join(this.#options.logDir, `${name}-${this.history.length}.log`);
    const runtime = this.#runtimeFor(container.image);
    const record: ProcessRecord = {
      pod: name,
      image: container.image,
      args: container.args ?? [],
      tokenSha256: env.CF_API_TOKEN && sha256(env.CF_API_TOKEN),
      startedAt: Date.now(),
      stoppedByRunner: false,
      logFile,
    };
    const child = spawn(runtime.binary, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...runtime.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log = createWriteStream(logFile);
    const running: Running = {
      record,
      child,
      lines: [],
      exited: new Promise((resolve) => {
        child.on("close", (code, signal) => {
          record.stoppedAt ??= Date.now();
          record.exit = record.stoppedByRunner ? "stopped" : `${signal ?? code}`;
          log.end();
          resolve();
          const uid = pod.metadata.uid as string;
          if (!record.stoppedByRunner) {
            // Exited by itself: the kubelet restarts the container after a back-off, and the
            // restarted container reads its env (the Secret) again.
            const restarts = this.#restarts.get(uid) ?? 0;
            this.#restarts.set(uid, restarts + 1);
            const delay = Math.min(
              RESTART_BACKOFF_MS.initial * 2 ** restarts,
              RESTART_BACKOFF_MS.max,
            );
            setTimeout(() => {
              if (this.#running.get(uid) === running) this.#running.delete(uid);
            }, delay);
          }
        });
      }),
    };
    let partial = "";
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      const text = partial + chunk.toString("utf8");
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      this.#lines.push(...lines);
      if (!record.stoppedByRunner)
        this.#errorLines.push(...lines.filter((line) => /level=(error|fatal)/.test(line)));
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    this.history.push(record);
    this.#running.set(pod.metadata.uid as string, running);
  }

  #runtimeFor(image: string): ExternalDnsRuntime {
    const tag = image.slice(image.lastIndexOf(":") + 1);
    const binary = PATH_BINARIES[tag];
    const runtime =
      this.#options.runtimes?.[tag] ??
      (binary
        ? { binary, env: { CLOUDFLARE_BASE_URL: this.#options.cloudflareBaseUrl } }
        : undefined);
    // A pod of a version nobody built must not quietly run another version.
    if (!runtime) throw new Error(`no external-dns binary for image ${image} (tag ${tag})`);
    return runtime;
  }

  async #stop(uid: string): Promise<void> {
    const running = this.#running.get(uid);
    if (!running) return;
    running.record.stoppedByRunner = running.record.exit === undefined;
    if (running.record.exit === undefined) {
      running.record.stoppedAt = Date.now();
      running.child.kill("SIGTERM");
      const killer = setTimeout(() => running.child.kill("SIGKILL"), 10_000);
      await running.exited;
      clearTimeout(killer);
    }
    this.#running.delete(uid);
  }

  /** A kubeconfig with the cluster's server and CA and a token of the pod's ServiceAccount. */
  async #podKubeconfig(pod: KubeObject): Promise<string> {
    const serviceAccount = pod.spec.serviceAccountName ?? "default";
    const request = await this.#options.cluster.request<{ status: { token: string } }>(
      "POST",
      `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${serviceAccount}/token`,
      {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: {
          expirationSeconds: TOKEN_SECONDS,
          boundObjectRef: {
            apiVersion: "v1",
            kind: "Pod",
            name: pod.metadata.name,
            uid: pod.metadata.uid,
          },
        },
      },
    );
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig names no current cluster");
    const file = join(this.#credentialsDir, `${pod.metadata.name}.kubeconfig`);
    writeFileSync(
      file,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "cluster",
            cluster: {
              server: cluster.server,
              ...(cluster.caData && { "certificate-authority-data": cluster.caData }),
              ...(cluster.caFile && { "certificate-authority": cluster.caFile }),
              ...(cluster.skipTLSVerify && { "insecure-skip-tls-verify": true }),
            },
          },
        ],
        users: [{ name: serviceAccount, user: { token: request.status.token } }],
        contexts: [{ name: "pod", context: { cluster: "cluster", user: serviceAccount } }],
        "current-context": "pod",
      }),
      { mode: 0o600 },
    );
    chmodSync(file, 0o600);
    return file;
  }

  /** The container's environment as the kubelet resolves it when the container starts. */
  async #containerEnv(pod: KubeObject, container: ContainerSpec): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      const secretRef = variable.valueFrom?.secretKeyRef;
      if (secretRef) {
        const secret = await this.#options.cluster.get({
          apiVersion: "v1",
          plural: "secrets",
          namespace: pod.metadata.namespace,
          name: secretRef.name,
        });
        const encoded = secret?.data?.[secretRef.key];
        if (encoded === undefined && !secretRef.optional)
          throw new Error(
            `pod ${pod.metadata.name}: Secret ${secretRef.name} has no key ${secretRef.key} (CreateContainerConfigError)`,
          );
        if (encoded !== undefined)
          env[variable.name] = Buffer.from(encoded, "base64").toString("utf8");
      }
      const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
      if (fieldPath === "metadata.name") env[variable.name] = pod.metadata.name;
      if (fieldPath === "metadata.namespace") env[variable.name] = pod.metadata.namespace ?? "";
    }
    return env;
  }
}

interface ContainerSpec {
  name: string;
  image: string;
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string; optional?: boolean };
      fieldRef?: { fieldPath: string };
    };
  }[];
}

/** The pod's args with the two changes a process on this machine needs (see the file comment). */
export function localArgs(args: readonly string[], kubeconfigFile: string): string[] {
  const kept = args.filter(
    (arg) => !arg.startsWith("--metrics-address") && !arg.startsWith("--kubeconfig"),
  );
  return [...kept, `--kubeconfig=${kubeconfigFile}`, "--metrics-address=127.0.0.1:0"];
}

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

function defaultKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

function describePod(pod: KubeObject): string {
  const deleting = pod.metadata.deletionTimestamp ? " (deleting)" : "";
  return `${pod.metadata.name} ${pod.status?.phase ?? "?"}${deleting}`;
}
