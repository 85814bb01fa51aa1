/**
 * The restart of pods still reading a dead token: when it is due (pure), what
 * the real client sends to restart them (against a local API stand-in), and
 * where the program registers the step.
 */
import type * as k8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesApiReader } from "../components/clusterAccess";
import { RESTART_COMMAND } from "../components/podRestartOnNewToken";
import {
  oldestPodStart,
  podSelector,
  RESTART_FIELD_MANAGER,
  RESTARTED_AT_ANNOTATION,
  readsStaleToken,
  rolledOut,
  secretChangedAt,
} from "../components/tokenRestart";
import { type FakeKubernetesApi, startFakeKubernetesApi } from "./support/kubernetesApi";
import { MINTED_TOKEN, resolved, TOKEN_ID } from "./support/mocks";
import { runProgram } from "./support/program";

const SECRET_CHANGED = "2026-12-05T10:00:05.000Z";

function pod(startTime: string, extra: Partial<k8s.V1Pod> = {}): k8s.V1Pod {
  return { metadata: {}, status: { phase: "Running", startTime: new Date(startTime) }, ...extra };
}

function secret(...times: string[]): k8s.V1Secret {
  return { metadata: { managedFields: times.map((time) => ({ time: new Date(time) })) } };
}

describe("when the pods read a token the Secret no longer holds", () => {
  it("the Secret's last change is its newest managed-field time", () => {
    expect(secretChangedAt(secret("2026-12-05T09:00:00Z", SECRET_CHANGED))).toBe(SECRET_CHANGED);
    expect(secretChangedAt(undefined)).toBeUndefined();
  });

  it("only running pods that are not being deleted count, the oldest first", () => {
    const pods = [
      pod("2026-12-05T10:00:09Z"),
      pod("2026-12-05T09:00:00Z", { metadata: { deletionTimestamp: new Date() } }),
      pod("2026-12-05T08:00:00Z", { status: { phase: "Pending" } }),
      pod("2026-12-05T10:00:07Z"),
    ];
    expect(oldestPodStart(pods)).toBe("2026-12-05T10:00:07.000Z");
  });

  it("a pod that started before the Secret changed is stale; one started in the same second or later is not", () => {
    expect(
      readsStaleToken({ secretChangedAt: SECRET_CHANGED, podStartedAt: "2026-12-05T10:00:04Z" }),
    ).toBe(true);
    expect(readsStaleToken({ secretChangedAt: SECRET_CHANGED, podStartedAt: SECRET_CHANGED })).toBe(
      false,
    );
    expect(readsStaleToken({ secretChangedAt: SECRET_CHANGED })).toBe(false);
    expect(readsStaleToken({ podStartedAt: SECRET_CHANGED })).toBe(false);
  });

  it("a Deployment has rolled out when the new template is observed and every replica is updated and available", () => {
    const deployment = (status: k8s.V1DeploymentStatus): k8s.V1Deployment => ({
      metadata: { generation: 3 },
      spec: { replicas: 1, selector: {}, template: {} },
      status,
    });
    const done = { observedGeneration: 3, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
    expect(rolledOut(deployment(done))).toBe(true);
    expect(rolledOut(deployment({ ...done, observedGeneration: 2 }))).toBe(false);
    expect(rolledOut(deployment({ ...done, replicas: 2 }))).toBe(false);
    expect(rolledOut(deployment({ ...done, availableReplicas: 0 }))).toBe(false);
  });

  it("selects the Deployment's pods by its matchLabels", () => {
    expect(
      podSelector({
        spec: {
          selector: { matchLabels: { "app.kubernetes.io/name": "external-dns", b: "c" } },
          template: {},
        },
      }),
    ).toBe("app.kubernetes.io/name=external-dns,b=c");
  });
});

const NAMESPACE = "dns";
const DEPLOYMENT_PATH = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/external-dns`;
const LABELS = "app.kubernetes.io/name=external-dns";

function apiRoutes(podStarted: string): Record<string, unknown> {
  return {
    [DEPLOYMENT_PATH]: {
      metadata: { name: "external-dns", namespace: NAMESPACE, generation: 2 },
      spec: {
        replicas: 1,
        selector: { matchLabels: { "app.kubernetes.io/name": "external-dns" } },
        template: {},
      },
      status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    },
    [`/api/v1/namespaces/${NAMESPACE}/secrets/cloudflare-api-token`]: {
      metadata: {
        name: "cloudflare-api-token",
        managedFields: [{ manager: "manager", operation: "Update", time: SECRET_CHANGED }],
      },
    },
    [`/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${LABELS}`]: {
      items: [{ metadata: { name: "a" }, status: { phase: "Running", startTime: podStarted } }],
    },
  };
}

const TARGET = {
  namespace: NAMESPACE,
  deployment: "external-dns",
  secretName: "cloudflare-api-token",
};

describe("the restart, with the real client", () => {
  let api: FakeKubernetesApi | undefined;
  afterAll(() => api?.close());

  it("restarts pods that started before the Secret changed, as kubectl rollout restart does", async () => {
    api = await startFakeKubernetesApi(apiRoutes("2026-12-05T09:59:00Z"));
    const restart = await kubernetesApiReader({
      kubeconfig: api.kubeconfig,
    }).restartPodsOnStaleToken(TARGET);
    expect(restart).toEqual({
      restarted: true,
      secretChangedAt: SECRET_CHANGED,
      podStartedAt: "2026-12-05T09:59:00.000Z",
    });
    expect(api.writes).toHaveLength(1);
    const [write] = api.writes;
    expect(`${write.method} ${write.path}`).toBe(`PATCH ${DEPLOYMENT_PATH}`);
    expect(write.contentType).toBe("application/strategic-merge-patch+json");
    const annotations = (
      write.body as { spec: { template: { metadata: { annotations: object } } } }
    ).spec.template.metadata.annotations;
    expect(Object.keys(annotations)).toEqual([RESTARTED_AT_ANNOTATION]);
    await api.close();
    api = undefined;
  });

  it("leaves pods that started after the Secret changed alone", async () => {
    api = await startFakeKubernetesApi(apiRoutes("2026-12-05T10:00:30Z"));
    const restart = await kubernetesApiReader({
      kubeconfig: api.kubeconfig,
    }).restartPodsOnStaleToken(TARGET);
    expect(restart.restarted).toBe(false);
    expect(api.writes).toEqual([]);
  });

  it("names its field manager, so Pulumi's applies leave the annotation alone", () => {
    expect(RESTART_FIELD_MANAGER).not.toMatch(/^pulumi-kubernetes/);
  });
});

describe("the restart step in the program", () => {
  const config = {
    "external-dns:zones": JSON.stringify(["example.net"]),
    "external-dns:txtOwnerId": "staging",
    "external-dns:sopsAgeRecipients": JSON.stringify([
      "age1l3dnqya490usmw9ckcqyjlkcsfhs6a3zyx9efuyg0ppzxtcm7gjqlkydcc",
    ]),
  };
  let run: Awaited<ReturnType<typeof runProgram>>;
  beforeAll(async () => {
    run = await runProgram("staging", config);
  });

  function restartStep() {
    return run.constructed.find(
      (resource) =>
        resource.type === "command:local:Command" && resource.props.create === RESTART_COMMAND,
    );
  }

  it("runs after the chart, again whenever the token's ID changes", async () => {
    const step = restartStep();
    const dependsOn = step?.opts.dependsOn;
    expect(
      dependsOn,
      "the step's own dependsOn is empty: it inherits the component's",
    ).toBeUndefined();
    const parent = run.constructed.find((resource) => resource.resource === step?.opts.parent);
    expect(parent?.type).toBe("vanixiets:dns:PodRestartOnNewToken");
    const parentDeps = (parent?.opts.dependsOn ?? []) as pulumi.Resource[];
    const urns = await Promise.all(parentDeps.map((dependency) => resolved(dependency.urn)));
    expect(urns.map((urn) => urn.split("::").pop())).toEqual(["external-dns-chart"]);
    const registered = run.record
      .ofType("command:local:Command")
      .find((resource) => resource.inputs.create === RESTART_COMMAND);
    expect(registered?.inputs.triggers).toEqual([TOKEN_ID]);
  });

  it("gets the namespace and the cluster on stdin, as a secret, and never the token", async () => {
    const stdin = restartStep()?.props.stdin as pulumi.Output<string>;
    expect(await pulumi.isSecret(stdin)).toBe(true);
    const input = JSON.parse(await resolved(pulumi.unsecret(stdin)));
    expect(input).toMatchObject({
      namespace: "external-dns",
      deployment: "external-dns",
      secretName: "cloudflare-api-token",
    });
    expect(JSON.stringify(input)).not.toContain(MINTED_TOKEN);
  });

  it("is not registered when the provider only renders YAML: there are no pods", async () => {
    const rendered = await runProgram("staging", {
      ...config,
      "kubernetes:renderYamlToDirectory": "/tmp/rendered",
    });
    expect(
      rendered.record
        .ofType("command:local:Command")
        .map((resource) => resource.inputs.create)
        .filter((create) => create === RESTART_COMMAND),
    ).toEqual([]);
  });
});
