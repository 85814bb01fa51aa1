import { join, relative } from "node:path";

/** This package's root: the steps that `pulumi up` runs (commands/) live there. */
const PACKAGE_ROOT = join(__dirname, "..");

/**
 * The `dir` a step's command runs in, so that its relative command line finds
 * commands/ however the component is used. Relative to the program's working
 * directory (which the command provider shares) so that the state holds no
 * checkout path: a stack run from a second checkout or a CI runner sees no
 * change. Undefined in this project itself, where the two are the same.
 */
export function stepDirectory(): string | undefined {
  return relative(process.cwd(), PACKAGE_ROOT) || undefined;
}
