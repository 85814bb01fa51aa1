/**
 * Deploys External-DNS for Cloudflare on one cluster stack. All logic lives in
 * stacks/ (config → settings) and components/ (resources); this file wires them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ExternalDns } from "./components/externalDns";
import { stackOutputs } from "./components/stackOutputs";
import { tokenSpec } from "./components/tokenLifecycle";
import { ConfigError, type Settings } from "./stacks/settings";
import { loadStackSettings } from "./stacks/stackConfig";

const loaded = loadStackSettings();
for (const warning of loaded.warnings) pulumi.log.warn(warning);
if (loaded.kind === "invalid") throw new ConfigError(loaded.errors);

function deploy(settings: Settings): ExternalDns {
  const providers = settings.clusterStack
    ? {
        kubernetes: new k8s.Provider("cluster", {
          kubeconfig: new pulumi.StackReference(settings.clusterStack).requireOutput("kubeconfig"),
        }),
      }
    : undefined;
  return new ExternalDns(
    "external-dns",
    { settings, token: tokenSpec(settings, pulumi.getStack(), new Date()) },
    { providers },
  );
}

if (loaded.kind === "disabled") {
  pulumi.log.info(
    "external-dns:enabled is false: this stack manages no DNS, so nothing is deployed.",
  );
}
const externalDns = loaded.kind === "enabled" ? deploy(loaded.settings) : undefined;

export = stackOutputs(externalDns);
