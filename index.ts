/**
 * Deploys External-DNS for Cloudflare on one cluster stack. All logic lives in
 * stacks/ (config → settings) and components/ (resources); this file wires them.
 */
import "./stacks/checkNode.cjs";
import { loadStackSettings } from "./stacks/stackConfig";
import { readStackFiles } from "./stacks/stackFiles";
import { deployStack } from "./stacks/stackProgram";

export = () =>
  deployStack({
    loaded: loadStackSettings(),
    stackFiles: readStackFiles,
    now: new Date(),
  });
