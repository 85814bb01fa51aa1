/**
 * Restarts external-dns when its pods read a token the Secret no longer holds:
 * the command the PodRestartOnNewToken step runs in `pulumi up`. It reads its
 * input on stdin (components/podRestartOnNewToken.ts).
 */
import { describeError, kubernetesApiReader } from "../components/clusterAccess";
import type { RestartCommandInput } from "../components/podRestartOnNewToken";
import { restartNotice } from "../components/tokenRestart";
import { fail, readInput } from "./stepSupport";

async function main(): Promise<void> {
  const input = await readInput<RestartCommandInput>("PodRestartOnNewToken");
  const deployment = `${input.namespace}/${input.deployment}`;
  const restart = await kubernetesApiReader(input.cluster)
    .restartPodsOnStaleToken(input)
    .catch((error: unknown) =>
      fail(
        `Could not check whether external-dns (${deployment}) reads the token in Secret ${input.secretName}: ${describeError(error)}. If its pods started before the Secret last changed, restart them: kubectl -n ${input.namespace} rollout restart deployment/${input.deployment}`,
      ),
    );
  console.log(
    restart.restarted
      ? restartNotice(deployment, input.secretName, restart)
      : `external-dns (${deployment}) reads the token Secret ${input.secretName} holds: nothing to restart.`,
  );
}

main().catch((error: unknown) => fail(describeError(error)));
