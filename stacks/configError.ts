import { PlainRunError } from "../components/runError";

/**
 * Thrown when the config is invalid; lists every problem. A Pulumi RunError,
 * so the engine prints just this message: no stack trace.
 */
export class ConfigError extends PlainRunError {
  constructor(
    readonly problems: string[],
    heading = "invalid stack config",
  ) {
    super(
      `${heading} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((problem) => `  - ${problem}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}
