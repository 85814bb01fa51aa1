import * as pulumi from "@pulumi/pulumi";
import { type LoadedConfig, loadStackConfig } from "./settings";

/** Loads and validates the current stack's config (misspelt namespaces included). */
export function loadStackSettings(): LoadedConfig {
  return loadStackConfig(pulumi.runtime.allConfig());
}
