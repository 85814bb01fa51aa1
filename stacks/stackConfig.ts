import * as pulumi from "@pulumi/pulumi";
import { type LoadedConfig, loadSettings, projectKeys } from "./settings";

/** The raw `external-dns:*` values of the current stack, keys without the namespace. */
export function readRawConfig(): Record<string, string> {
  return projectKeys(pulumi.runtime.allConfig());
}

/** Loads and validates the current stack's config. */
export function loadStackSettings(): LoadedConfig {
  return loadSettings(readRawConfig());
}
