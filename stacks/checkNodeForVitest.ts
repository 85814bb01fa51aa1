/** vitest's globalSetup: the Node.js check (nodeVersion.cjs) before any test file loads. */
import { requireSupportedNode } from "./nodeVersion.cjs";

export default function checkNode(): void {
  requireSupportedNode();
}
