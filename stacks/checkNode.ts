/** Imported first by every entry point: stops with a clear message on a Node.js too old (nodeVersion.ts). */
import { requireSupportedNode } from "./nodeVersion";

requireSupportedNode();
