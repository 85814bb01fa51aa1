/**
 * The EncryptedSopsSecret component under mocks: what its sops command
 * resource receives decides when Pulumi re-runs it (re-encrypts).
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { EncryptedSopsSecret } from "../components/encryptedSopsSecret";
import { installMocks, type MockRecord, resolved } from "./support/mocks";

const RECIPIENTS = [
  "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc",
  "age1sppnsegw58drw5uswwnzjeraghzdmmc7evs03v0nssw9hlh44dlqhjdf5g",
];

let record: MockRecord;

beforeAll(async () => {
  record = await installMocks("test");
  const deploy = (name: string, token: string, recipients: string[]) =>
    new EncryptedSopsSecret(name, {
      namespace: "external-dns",
      token: pulumi.secret(token),
      recipients,
    });
  const deployed = [
    deploy("first-up", "token-a", RECIPIENTS),
    deploy("second-up", "token-a", [...RECIPIENTS]),
    deploy("new-token", "token-b", RECIPIENTS),
    deploy("new-recipients", "token-a", [RECIPIENTS[0]]),
  ];
  await Promise.all(deployed.map((secret) => resolved(secret.resource.urn)));
});

function commandInputs(name: string) {
  const command = record
    .ofType("command:local:Command")
    .find((resource) => resource.name === `${name}-sops-encrypt`);
  if (!command) throw new Error(`no sops command for ${name}`);
  return command.inputs;
}

describe("re-encryption", () => {
  it("a second `pulumi up` with the same token and recipients gives identical command inputs: no re-run", () => {
    expect(commandInputs("second-up")).toEqual(commandInputs("first-up"));
  });

  it("has nothing time-dependent or random among the inputs", () => {
    expect(Object.keys(commandInputs("first-up")).sort()).toEqual([
      "addPreviousOutputInEnv",
      "create",
      "environment",
      "logging",
      "stdin",
    ]);
  });

  it("a new token changes only stdin, so sops runs again", () => {
    const { stdin, ...rest } = commandInputs("new-token");
    const { stdin: firstStdin, ...firstRest } = commandInputs("first-up");
    expect(stdin).not.toEqual(firstStdin);
    expect(rest).toEqual(firstRest);
  });

  it("new recipients change only the command line, so sops runs again", () => {
    const { create, ...rest } = commandInputs("new-recipients");
    const { create: firstCreate, ...firstRest } = commandInputs("first-up");
    expect(create).not.toEqual(firstCreate);
    expect(rest).toEqual(firstRest);
  });

  it("keeps the encrypted output out of the logs", () => {
    expect(commandInputs("first-up").logging).toBe("stderr");
  });
});
