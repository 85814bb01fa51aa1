/**
 * ExternalDns in a platform team's own TypeScript program (e2e/fixtures/
 * platform-program): imported from the component package, composed with the
 * program's own namespace and Service, deployed with the real CLI; a second
 * preview changes nothing; and the Gateway API refusal, which lives inside the
 * component, stops that program too before anything is created.
 */
import { describe, expect, it } from "vitest";
import { ZONE_SCOPE } from "./support/cloudflareApi";
import { availableDeployment, secretToken } from "./support/objects";
import { type ConfigValue, describeRun, type RunResult, secret } from "./support/project";
import { type StackSuite, useStackSuite } from "./support/stackSuite";

/** The program's own config (namespace `platform`), pointing Cloudflare at the stand-in. */
function platformConfig(suite: StackSuite): Record<string, ConfigValue> {
  const [byId, byName] = suite.zones;
  return {
    "cloudflare:baseUrl": suite.api.baseUrlForProvider,
    "cloudflare:apiToken": secret(suite.api.bootstrapToken),
    "platform:zones": [{ name: byId.name, id: byId.id }, { name: byName.name }],
    "platform:txtOwnerId": `e2e-${suite.stack}`,
    "platform:namespace": suite.namespace,
    "platform:chartRepository": suite.env.chartRepository,
    "platform:operatorAgeKey": suite.env.operatorAgePublicKey,
  };
}

const suite = useStackSuite({
  stack: "platform",
  program: "platform-program",
  baseConfig: platformConfig,
});

let up: RunResult | undefined;

describe("a TypeScript program that composes ExternalDns with resources of its own", () => {
  it("deploys: a token scoped to the zones reaches the Secret, external-dns starts, the program's own Service exists", async () => {
    up = await suite.project.up([], { timeoutMs: 300_000 });
    expect(up.exitCode, describeRun(up)).toBe(0);
    const [token] = suite.api.state.tokens();
    expect(suite.api.state.tokens()).toHaveLength(1);
    expect(token.policies.map((policy) => policy.resources)).toEqual([
      Object.fromEntries(suite.zones.map((zone) => [`${ZONE_SCOPE}.${zone.id}`, "*"])),
    ]);
    const value = suite.api.state.tokenValue(token.id);
    expect(await secretToken(suite.cluster, suite.namespace)).toBe(value);
    await availableDeployment(suite.cluster, suite.namespace);
    const outputs = await suite.project.outputs();
    expect(outputs).toMatchObject({
      externalDnsNamespace: suite.namespace,
      tokenId: token.id,
      webService: `${suite.namespace}-apps/web`,
    });
    const web = await suite.cluster.get({
      apiVersion: "v1",
      plural: "services",
      namespace: `${suite.namespace}-apps`,
      name: "web",
    });
    expect(web?.metadata.annotations?.["external-dns.alpha.kubernetes.io/hostname"]).toBe(
      `web.${suite.zones[0].name}`,
    );
  });

  it("a second preview shows no changes", async () => {
    expect(up?.exitCode, "pulumi up must have succeeded (see the test above)").toBe(0);
    const preview = await suite.project.preview(["--expect-no-changes", "--diff"]);
    expect(preview.exitCode, describeRun(preview)).toBe(0);
  });

  it("a stack of it with a gateway source its cluster cannot serve is refused before anything is created", async () => {
    const tokensBefore = suite.api.state.tokens().length;
    const gateway = suite.project.withStack("platform-gateway");
    const namespace = `${suite.namespace}-gw`;
    await gateway.init({
      ...platformConfig(suite),
      "platform:namespace": namespace,
      "platform:sources": ["service", "gateway-tcproute"],
    });
    try {
      const refused = await gateway.up([], { timeoutMs: 180_000 });
      expect(refused.exitCode, describeRun(refused)).not.toBe(0);
      // The realworld cluster serves TCPRoute at v1 only; external-dns 0.22.0 reads v1alpha2.
      expect(refused.output).toContain(
        "sources includes gateway-tcproute, but tcproutes.gateway.networking.k8s.io serves v1, not v1alpha2, the version external-dns 0.22.0 reads;",
      );
      expect(refused.output.split("\n").filter((line) => /^\s+at /.test(line))).toEqual([]);
      expect(suite.api.state.tokens()).toHaveLength(tokensBefore);
      for (const name of [namespace, `${namespace}-apps`])
        expect(
          await suite.cluster.get({ apiVersion: "v1", plural: "namespaces", name }),
          `namespace ${name}`,
        ).toBeUndefined();
    } finally {
      await gateway.destroy({ timeoutMs: 120_000 });
    }
  });
});
