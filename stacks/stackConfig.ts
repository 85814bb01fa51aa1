import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, type LoadedConfig, loadSettings } from "./settings";

/** The raw `external-dns:*` values of the current stack, keys without the namespace. */
export function readRawConfig(): Record<string, string> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  return Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/** Loads and validates the current stack's config. */
export function loadStackSettings(): LoadedConfig {
  return loadSettings(readRawConfig());
}
