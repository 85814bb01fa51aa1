/**
 * Loaded first by every entry point (`node -r ./stacks/checkNode.cjs`, index.ts,
 * `npm test`): stops with a clear message on a Node.js too old (nodeVersion.cjs).
 */
"use strict";
require("./nodeVersion.cjs").requireSupportedNode();
