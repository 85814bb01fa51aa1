/**
 * @kubernetes/client-node, loaded on first use. It costs about as much to
 * import as the Pulumi SDK, and most runs never call it: the offline plan and
 * the tests answer for the cluster themselves.
 */
import type * as k8s from "@kubernetes/client-node";

let loaded: typeof k8s | undefined;

export function kubernetesClient(): typeof k8s {
  loaded ??= require("@kubernetes/client-node") as typeof k8s;
  return loaded;
}
