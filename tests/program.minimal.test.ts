/**
 * A minimal stack: only the required keys, the ambient kubeconfig, and a risky
 * but legal TXT prefix, which is warned about and deployed.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LOOKED_UP_ZONE_IDS, resolved } from "./support/mocks";
import { type ProgramRun, runProgram } from "./support/program";

const warn = vi.spyOn(pulumi.log, "warn");
afterAll(() => warn.mockRestore());

let run: ProgramRun;
let warnings: string[];
beforeAll(async () => {
  run = await runProgram("staging", {
    "external-dns:zones": JSON.stringify(["example.net"]),
    "external-dns:txtOwnerId": "staging",
    "external-dns:txtPrefix": "txt-",
    "external-dns:sopsAgeRecipients": JSON.stringify([
      "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc",
    ]),
  });
  // Vitest clears mock calls before each test: keep what the program logged.
  warnings = warn.mock.calls.map(([message]) => message);
});

describe("minimal stack", () => {
  it("uses the ambient kubeconfig: no provider, no stack reference", () => {
    const types = run.record.resources.map((resource) => resource.type);
    expect(types).not.toContain("pulumi:providers:kubernetes");
    expect(types).not.toContain("pulumi:pulumi:StackReference");
  });

  it("reads no Gateway API CRD for service and ingress sources", () => {
    expect(
      run.record.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"),
    ).toEqual([]);
  });

  it("warns about the apex, and nothing else, and deploys anyway", async () => {
    expect(warnings).toEqual([
      expect.stringMatching(/^external-dns:txtPrefix: "txt-" lacks %\{record_type\}.*apex/),
    ]);
    const args = await resolved(run.exports.externalDnsArgs as pulumi.Output<string[]>);
    expect(args).toContain("--txt-prefix=txt-");
    expect(args).toContain(`--zone-id-filter=${LOOKED_UP_ZONE_IDS["example.net"]}`);
    expect(args).toContain("--domain-filter=example.net");
  });

  it("exports every output with a value: a token without expiry or rotation says never", () => {
    expect(run.exports.tokenExpiresOn).toBe("never");
    expect(run.exports.tokenNextRotation).toBe("never");
    expect(Object.values(run.exports)).not.toContain(undefined);
    expect(warnings.filter((warning) => warning.startsWith("Undefined value"))).toEqual([]);
  });

  it("mints an unrestricted-IP token when no CIDRs are configured", () => {
    const [token] = run.record.ofType("cloudflare:index/apiToken:ApiToken");
    expect(token.inputs.condition).toBeUndefined();
  });

  it("writes no GitOps copy when sopsSecretFile is unset", () => {
    const [command] = run.record
      .ofType("command:local:Command")
      .filter((resource) => resource.name.endsWith("-sops-encrypt"));
    expect(command.inputs.environment).toEqual({});
  });
});
