/**
 * `npm run verify -- <stack> [--json] [--kubeconfig PATH] [--cloudflare-token-file PATH] [--bootstrap-token-file PATH] [--resolver host:port]`:
 * checks a live deployment end to end. Exit code 1 on any failure, 2 on bad usage.
 */
import { readFileSync } from "node:fs";
import { kubernetesClient } from "../components/kubernetesClient";
import { parseCommandLine, requireStackFile, UsageError } from "../stacks/cliUsage";
import { stackConfig } from "../stacks/stackFiles";
import { exitCode } from "./checks";
import { renderVerification } from "./render";

const USAGE =
  "usage: npm run verify -- <stack> [--json] [--kubeconfig PATH] [--cloudflare-token-file PATH] [--bootstrap-token-file PATH] [--resolver host:port]";

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseVerifyArgs>["values"];
  let stack: string;
  try {
    ({ values, stack } = parseVerifyArgs(argv));
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    requireStackFile(stack);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  // Loaded once the arguments hold: the Kubernetes client and the program take seconds to import.
  const { KubeConfig } = kubernetesClient();
  const { verify } = await import("./run");
  const kubeConfig = new KubeConfig();
  try {
    if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new Error(
      `could not read the kubeconfig ${values.kubeconfig ?? process.env.KUBECONFIG ?? "~/.kube/config"} (${(error as Error).message.split("\n")[0]})`,
    );
  }
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
    kubeconfigPath: values.kubeconfig,
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

function parseVerifyArgs(argv: string[]) {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: "boolean" },
    kubeconfig: { type: "string" },
    "cloudflare-token-file": { type: "string" },
    "bootstrap-token-file": { type: "string" },
    resolver: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const [stack, ...extra] = positionals;
  if (!values.help && stack === undefined) throw new UsageError("no stack given");
  if (extra.length > 0) throw new UsageError(`one stack only; given ${positionals.join(", ")}`);
  return { values, stack: stack ?? "" };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`verify failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
