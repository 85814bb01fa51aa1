/**
 * ExternalDns from Pulumi YAML (e2e/fixtures/platform-yaml): the program names
 * the component package (this checkout's component-package/) in a `packages`
 * entry; Pulumi runs it as a plugin, infers its schema, and constructs the
 * component there. The minted token reaches the Secret, external-dns starts,
 * and a second preview changes nothing.
 */
import { describe, expect, it } from "vitest";
import { availableDeployment, containerArgs, secretToken } from "./support/objects";
import { type ConfigValue, describeRun, type RunResult, secret } from "./support/project";
import { type StackSuite, useStackSuite } from "./support/stackSuite";

/** The YAML program's config (its `config` block), pointing Cloudflare at the stand-in. */
function yamlConfig(suite: StackSuite): Record<string, ConfigValue> {
  const [zone] = suite.zones;
  return {
    "cloudflare:baseUrl": suite.api.baseUrlForProvider,
    "cloudflare:apiToken": secret(suite.api.bootstrapToken),
    zoneName: zone.name,
    zoneId: zone.id,
    txtOwnerId: `e2e-${suite.stack}`,
    namespace: suite.namespace,
    chartRepository: suite.env.chartRepository,
    operatorAgeKey: suite.env.operatorAgePublicKey,
  };
}

const suite = useStackSuite({
  stack: "yaml",
  program: "platform-yaml",
  tools: ["pulumi-language-yaml"],
  baseConfig: yamlConfig,
});

let up: RunResult | undefined;

describe("a Pulumi YAML program that uses the component package", () => {
  it("deploys ExternalDns: the minted token reaches the Secret and external-dns starts", async () => {
    up = await suite.project.up([], { timeoutMs: 300_000 });
    expect(up.exitCode, describeRun(up)).toBe(0);
    const tokens = suite.api.state.tokens();
    expect(tokens).toHaveLength(1);
    expect(await secretToken(suite.cluster, suite.namespace)).toBe(
      suite.api.state.tokenValue(tokens[0].id),
    );
    const deployment = await availableDeployment(suite.cluster, suite.namespace);
    expect(containerArgs(deployment)).toContain(`--txt-owner-id=e2e-${suite.stack}`);
    expect(await suite.project.outputs()).toMatchObject({
      namespace: suite.namespace,
      tokenId: tokens[0].id,
    });
  });

  it("a second preview shows no changes", async () => {
    expect(up?.exitCode, "pulumi up must have succeeded (see the test above)").toBe(0);
    const preview = await suite.project.preview(["--expect-no-changes", "--diff"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
  });
});
