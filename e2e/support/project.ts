/**
 * A scratch copy of the project with its own file backend, driven through the
 * real `pulumi` CLI on PATH. Each run's output is kept in `<dir>/logs/`.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { isMap, isScalar, parseDocument } from "yaml";

/** This checkout: its node_modules serve every copy. */
const CHECKOUT = join(__dirname, "..", "..");
/** The program under test: this checkout, or E2E_PROJECT_DIR (e.g. another revision of it). */
export const PROJECT_ROOT = process.env.E2E_PROJECT_DIR || CHECKOUT;

/** What the program needs to run: copied. node_modules: linked. */
const PROJECT_FILES = [
  "Pulumi.yaml",
  "index.ts",
  "package.json",
  "tsconfig.json",
  "tsconfig.runtime.json",
];
const PROJECT_DIRECTORIES = ["components", "commands", "stacks", "plan", "verify", "fleet"];

/** As realworld's env.sh sets them: no update check, no plugin downloads, no plugins from PATH. */
const PULUMI_SETTINGS = {
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
};

export interface RunResult {
  /** The command line, for messages. */
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** stdout, then stderr. */
  output: string;
  durationMs: number;
  /** Killed because it ran past its time limit. */
  timedOut: boolean;
}

export interface RunOptions {
  /** Added to the environment (e.g. NODE_OPTIONS for the clock shift). */
  env?: Record<string, string>;
  /** Written to stdin (how secrets reach `pulumi config set`: never on a command line). */
  input?: string;
  /** Killed (SIGINT, then SIGKILL 20 s later) after this long; default 5 minutes. */
  timeoutMs?: number;
  /** Polled every 100 ms: once it holds, the process is killed with SIGKILL (a machine that dies mid-run). */
  killWhen?: () => boolean;
}

/** A config value; `secret(...)` marks one for `--secret`. Lists and objects are set by path. */
export type ConfigValue = string | number | boolean | Secret | ConfigValue[] | ConfigObject;
export interface ConfigObject {
  [key: string]: ConfigValue;
}
export class Secret {
  constructor(readonly value: string) {}
  toString(): string {
    return "[secret]";
  }
}
export const secret = (value: string) => new Secret(value);

export interface ScratchOptions {
  /**
   * A program of its own to run instead of this project (a directory under
   * e2e/fixtures/): copied, with its `file:` dependencies linked into
   * node_modules and its Pulumi.yaml `packages` paths made absolute, as
   * `npm install` and a program in place would have them.
   */
  program?: string;
  /** Keep the directory after the tests (default: E2E_KEEP=1). */
  keep?: boolean;
  /** Another scratch project's file backend, to share its stacks (e.g. two checkouts of one fleet). */
  backendDir?: string;
  /** An existing scratch project's directory: drive another of its stacks (see `withStack`). */
  dir?: string;
  /** The run counter of the project whose directory this shares, so that log names stay in order. */
  runs?: { count: number };
}

export class ScratchProject {
  readonly dir: string;
  readonly backendDir: string;
  readonly keep: boolean;
  readonly #runs: { count: number };

  constructor(
    readonly stack: string,
    options: ScratchOptions = {},
  ) {
    this.keep = options.keep ?? process.env.E2E_KEEP === "1";
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), `e2e-${stack}-`));
    this.backendDir = options.backendDir ?? join(this.dir, ".state");
    this.#runs = options.runs ?? { count: 0 };
    if (options.dir) return;
    if (options.program)
      copyProgram(join(PROJECT_ROOT, "e2e", "fixtures", options.program), this.dir);
    else {
      for (const file of PROJECT_FILES) cpSync(join(PROJECT_ROOT, file), join(this.dir, file));
      for (const directory of PROJECT_DIRECTORIES)
        cpSync(join(PROJECT_ROOT, directory), join(this.dir, directory), { recursive: true });
      symlinkSync(join(CHECKOUT, "node_modules"), join(this.dir, "node_modules"));
    }
    mkdirSync(this.backendDir, { recursive: true });
    mkdirSync(join(this.dir, "logs"));
  }

  /** The same project directory and backend, driving another of its stacks. */
  withStack(stack: string): ScratchProject {
    return new ScratchProject(stack, {
      keep: this.keep,
      dir: this.dir,
      backendDir: this.backendDir,
    });
  }

  /** The environment of every command: ours, the backend, and Pulumi's offline settings. */
  environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const {
      PULUMI_CONFIG_PASSPHRASE_FILE: _file,
      PULUMI_ACCESS_TOKEN: _token,
      ...rest
    } = process.env;
    return {
      ...rest,
      ...PULUMI_SETTINGS,
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-local-only",
      ...extra,
    };
  }

  /** Runs `pulumi <args> --non-interactive` in the project (the stack is selected with --stack where it applies). */
  pulumi(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return this.run("pulumi", [...args, "--non-interactive"], options);
  }

  /** Runs any command in the project directory, with the project's environment. */
  run(program: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const command = [program, ...args].join(" ");
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? 300_000;
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, {
        cwd: this.dir,
        env: this.environment(options.env),
        stdio: ["pipe", "pipe", "pipe"],
      });
      child.stdin.end(options.input ?? "");
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const interrupt = setTimeout(() => {
        timedOut = true;
        child.kill("SIGINT");
      }, timeoutMs);
      const kill = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 20_000);
      const killWhen = options.killWhen;
      const watch =
        killWhen &&
        setInterval(() => {
          if (killWhen()) child.kill("SIGKILL");
        }, 100);
      child.on("error", reject);
      child.on("close", (exitCode) => {
        clearTimeout(interrupt);
        clearTimeout(kill);
        if (watch) clearInterval(watch);
        const result: RunResult = {
          command,
          exitCode,
          stdout,
          stderr,
          output: `${stdout}${stderr}`,
          durationMs: Date.now() - started,
          timedOut,
        };
        try {
          this.#log(result);
        } finally {
          resolve(result);
        }
      });
    });
  }

  #log(result: RunResult): void {
    this.#runs.count += 1;
    const words = result.command.split(" ").map((word) => basename(word));
    const name = `${String(this.#runs.count).padStart(2, "0")}-${this.stack}-${words
      .slice(0, 2)
      .join("-")
      .replace(/[^\w.-]/g, "_")}.log`;
    const header = `$ ${result.command}\n# exit ${result.exitCode}${result.timedOut ? " (timed out)" : ""} after ${(result.durationMs / 1000).toFixed(1)} s\n`;
    writeFileSync(
      join(this.dir, "logs", name),
      `${header}${result.stdout}\n--- stderr\n${result.stderr}`,
    );
    if (process.env.E2E_VERBOSE === "1") process.stderr.write(`[e2e ${this.stack}] ${header}`);
  }

  /** `pulumi stack init` and the config (see `configure`). */
  async init(config: Record<string, ConfigValue>): Promise<void> {
    await this.expectSuccess(this.pulumi(["stack", "init", this.stack]));
    await this.configure(config);
  }

  /**
   * Plain values in one `config set-all --path`; each secret with its own
   * `config set --secret`, the value on stdin.
   */
  async configure(config: Record<string, ConfigValue>): Promise<void> {
    const entries = Object.entries(config).flatMap(([key, value]) => configEntries(key, value));
    const plain = entries.filter((entry) => !(entry.value instanceof Secret));
    if (plain.length > 0) {
      const args = plain.flatMap(({ key, value }) => ["--plaintext", `${key}=${String(value)}`]);
      await this.expectSuccess(
        this.pulumi(["config", "set-all", "--path", "--stack", this.stack, ...args]),
      );
    }
    for (const { key, value } of entries) {
      if (!(value instanceof Secret)) continue;
      const args = ["config", "set", "--secret", "--path", "--stack", this.stack, key];
      await this.expectSuccess(this.pulumi(args, { input: value.value }));
    }
  }

  preview(args: string[] = [], options?: RunOptions): Promise<RunResult> {
    return this.pulumi(["preview", "--stack", this.stack, ...args], options);
  }

  up(args: string[] = [], options?: RunOptions): Promise<RunResult> {
    return this.pulumi(["up", "--yes", "--skip-preview", "--stack", this.stack, ...args], options);
  }

  destroy(options?: RunOptions): Promise<RunResult> {
    return this.pulumi(["destroy", "--yes", "--skip-preview", "--stack", this.stack], options);
  }

  /** The stack's outputs (secrets stay hidden). */
  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.expectSuccess(
      this.pulumi(["stack", "output", "--json", "--stack", this.stack]),
    );
    return JSON.parse(result.stdout);
  }

  /** `pulumi stack export` as text (secrets stay encrypted). */
  async exportState(): Promise<string> {
    return (await this.expectSuccess(this.pulumi(["stack", "export", "--stack", this.stack])))
      .stdout;
  }

  /** Every file of the file backend (checkpoints, backups, history), decompressed. */
  backendFiles(): { path: string; text: string }[] {
    const files: { path: string; text: string }[] = [];
    const walk = (directory: string) => {
      for (const name of readdirSync(directory)) {
        const path = join(directory, name);
        if (statSync(path).isDirectory()) walk(path);
        else {
          const bytes = readFileSync(path);
          files.push({ path, text: (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString() });
        }
      }
    };
    walk(this.backendDir);
    return files;
  }

  async expectSuccess(run: Promise<RunResult>): Promise<RunResult> {
    const result = await run;
    if (result.exitCode !== 0) throw new Error(describeRun(result));
    return result;
  }

  remove(): void {
    if (!this.keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A run for an error message: the command, its exit code, and the engine's
 * Diagnostics section if there is one, else the end of the output.
 */
export function describeRun(result: RunResult, maxLines = 60): string {
  const lines = result.output.trimEnd().split("\n");
  const start = lines.findIndex((line) => line.startsWith("Diagnostics:"));
  const end = lines.findIndex((line, i) => i > start && /^(Outputs|Resources):/.test(line));
  const excerpt =
    start >= 0 ? lines.slice(start, end < 0 ? undefined : end) : lines.slice(-maxLines);
  const killed = result.timedOut ? " (killed: timed out)" : "";
  return `\`${result.command}\` exited ${result.exitCode}${killed} after ${(result.durationMs / 1000).toFixed(0)} s:\n${excerpt.slice(0, maxLines).join("\n")}`;
}

/** Scalar config entries by path (`key[0].field`): lists and objects are set item by item. */
function configEntries(
  key: string,
  value: ConfigValue,
): { key: string; value: string | number | boolean | Secret }[] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => configEntries(`${key}[${index}]`, item));
  if (typeof value === "object" && !(value instanceof Secret))
    return Object.entries(value).flatMap(([field, item]) => configEntries(`${key}.${field}`, item));
  return [{ key, value }];
}

/**
 * Copies a fixture program into `target`. Its node_modules: this checkout's
 * packages, and each `file:` dependency linked to its directory, as npm links
 * one; its Pulumi.yaml `packages` paths: made absolute.
 */
function copyProgram(source: string, target: string): void {
  cpSync(source, target, { recursive: true });
  const manifest = join(target, "package.json");
  if (existsSync(manifest)) {
    const { dependencies = {} } = JSON.parse(readFileSync(manifest, "utf8")) as {
      dependencies?: Record<string, string>;
    };
    const modules = join(target, "node_modules");
    mkdirSync(modules);
    for (const entry of readdirSync(join(CHECKOUT, "node_modules")))
      symlinkSync(join(CHECKOUT, "node_modules", entry), join(modules, entry));
    for (const [name, spec] of Object.entries(dependencies)) {
      if (!spec.startsWith("file:")) continue;
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      symlinkSync(resolve(source, spec.slice("file:".length)), join(modules, name));
    }
  }
  const project = join(target, "Pulumi.yaml");
  const document = parseDocument(readFileSync(project, "utf8"));
  const packages = document.get("packages");
  if (isMap(packages))
    for (const { value } of packages.items)
      if (isScalar(value) && typeof value.value === "string" && !/^\w+:\/\//.test(value.value))
        value.value = resolve(source, value.value);
  writeFileSync(project, document.toString());
}
