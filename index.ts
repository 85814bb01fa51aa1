/**
 * Deploys External-DNS for Cloudflare on one cluster stack. All logic lives in
 * stacks/ (config → settings) and components/ (resources); this file wires them.
 */
import { kubernetesApiReader } from "./components/clusterAccess";
import { deployStack } from "./components/stack";
import { loadStackSettings } from "./stacks/stackConfig";

export = () =>
  deployStack({
    loaded: loadStackSettings(),
    clusterReader: kubernetesApiReader,
    now: new Date(),
  });
