/**
 * `npm run verify -- <stack> [--json] [--kubeconfig PATH] [--cloudflare-token-file PATH] [--bootstrap-token-file PATH] [--resolver host:port]`:
 * checks a live deployment end to end. Exit code 1 on any failure, 2 on bad usage.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { kubernetesClient } from "../components/kubernetesClient";
import { stackConfig, stackFilePath } from "../stacks/stackFiles";
import { exitCode } from "./checks";
import { renderVerification } from "./render";

const USAGE =
  "usage: npm run verify -- <stack> [--json] [--kubeconfig PATH] [--cloudflare-token-file PATH] [--bootstrap-token-file PATH] [--resolver host:port]";

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      kubeconfig: { type: "string" },
      "cloudflare-token-file": { type: "string" },
      "bootstrap-token-file": { type: "string" },
      resolver: { type: "string" },
    },
  });
  const [stack, ...extra] = positionals;
  if (!stack || extra.length > 0 || !existsSync(stackFilePath(stack))) {
    console.error(
      stack && extra.length === 0 ? `no stack file ${stackFilePath(stack)}\n${USAGE}` : USAGE,
    );
    return 2;
  }
  // Loaded once the arguments hold: the Kubernetes client and the program take seconds to import.
  const { KubeConfig } = kubernetesClient();
  const { verify } = await import("./run");
  const kubeConfig = new KubeConfig();
  if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
  else kubeConfig.loadFromDefault();
  const tokenFile = values["cloudflare-token-file"];
  const cloudflareToken = tokenFile
    ? readFileSync(tokenFile, "utf8").trim()
    : process.env.CF_API_TOKEN;

  // The stack's cloudflare:apiToken, which may list tokens (the leftover-token check).
  const bootstrapFile = values["bootstrap-token-file"];
  const bootstrapToken = bootstrapFile
    ? readFileSync(bootstrapFile, "utf8").trim()
    : process.env.CLOUDFLARE_API_TOKEN;

  const config = stackConfig(stack);
  const verification = await verify({
    stack,
    config,
    kubeConfig,
    cloudflareToken,
    bootstrapToken,
    // The provider's own setting: verify asks the same API the stack's token was minted through.
    cloudflareBaseUrl: config["cloudflare:baseUrl"] || undefined,
    resolver: values.resolver,
  });
  process.stdout.write(
    values.json ? `${JSON.stringify(verification, null, 2)}\n` : renderVerification(verification),
  );
  return verification.errors.length > 0 ? 1 : exitCode(verification.results);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`verify failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
