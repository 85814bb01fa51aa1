/** vitest's globalSetup: the Node.js check (nodeVersion.ts) before any test file loads. */
import { requireSupportedNode } from "./nodeVersion";

export default function checkNode(): void {
  requireSupportedNode();
}
