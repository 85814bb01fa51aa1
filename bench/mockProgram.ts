/**
 * One program evaluation under Pulumi's mocks, for bench/feedback.ts: `this`
 * runs the project's program (index.ts's deployStack, through the offline
 * runner the plan uses) for Pulumi.production.yaml; `one` registers a single
 * ConfigMap. Prints the milliseconds from process start to the last
 * registration, imports included, as a user's `npm test` pays them.
 */
import { performance } from "node:perf_hooks";

async function runThis(): Promise<void> {
  const { runOffline } = await import("../plan/offline");
  const { planWorld } = await import("../plan/world");
  const { stackConfig } = await import("../stacks/stackFiles");
  await runOffline("production", stackConfig("production"), planWorld);
}

async function runOne(): Promise<void> {
  const pulumi = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    "one-resource",
    "bench",
    false,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    const map = new k8s.core.v1.ConfigMap("one", { data: { key: "value" } });
    await new Promise((resolve) => map.urn.apply(resolve));
  });
  await pulumi.runtime.disconnect();
}

const which = process.argv[2];
if (which !== "this" && which !== "one") {
  console.error("usage: bench/mockProgram.ts this|one");
  process.exit(2);
}
(which === "this" ? runThis() : runOne()).then(
  () => {
    console.log(performance.now().toFixed(0));
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
