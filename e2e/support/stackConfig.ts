/**
 * The minimal valid config of a stack under test, pointing the Cloudflare
 * provider at the stand-in. Free of vitest, so that the benchmarks can use it.
 */
import { DEFAULT_ZONES } from "./cloudflareApi";
import type { E2eEnvironment } from "./environment";
import { type ConfigValue, secret } from "./project";

/** The zones every stack uses: one with its id in the config, one looked up by name. */
export const STACK_ZONES = DEFAULT_ZONES.slice(0, 2);

/** The minimal valid config for a stack, pointing the Cloudflare provider at the stand-in. */
export function minimalConfig(suite: {
  stack: string;
  namespace: string;
  env: E2eEnvironment;
  api: { baseUrlForProvider: string; bootstrapToken: string };
}): Record<string, ConfigValue> {
  const [byId, byName] = STACK_ZONES;
  return {
    "cloudflare:baseUrl": suite.api.baseUrlForProvider,
    "cloudflare:apiToken": secret(suite.api.bootstrapToken),
    "external-dns:zones": [{ name: byId.name, id: byId.id }, byName.name],
    "external-dns:txtOwnerId": `e2e-${suite.stack}`,
    "external-dns:sopsAgeRecipients": [suite.env.operatorAgePublicKey],
    "external-dns:chartRepository": suite.env.chartRepository,
    "external-dns:namespace": suite.namespace,
    "external-dns:tokenAllowedCidrs": ["127.0.0.1/32"],
  };
}
