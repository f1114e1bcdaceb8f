import type { Deployment } from "../serving/deployment-types.js";
import { ArmCounters } from "./arm-counters.js";
import type { OnlineExperimentRecord } from "../stores/online-experiment-store.js";
import { routedVariants, type ShadowConfig } from "./experiment-records.js";
import type { OnlineServing } from "./online-options.js";
import type { VariantDeployOptions } from "./online-types.js";
import { type RoutedArm, SHADOW_VARIANT, type ShadowSettings } from "./routed-deployment.js";

/**
 * Deploys each variant of an experiment through serving, named `<experiment>/<variant>` and with its
 * variant set, so each of its prediction log rows carries the variant (and names the experiment);
 * each routed variant's calls are counted by its observer.
 * All or none: when one fails to deploy, the others are closed and the error is thrown.
 */
export async function deployVariants(
  serving: OnlineServing,
  record: OnlineExperimentRecord,
  deploy: VariantDeployOptions | undefined,
): Promise<{ arms: RoutedArm[]; shadow?: ShadowSettings }> {
  const routed = routedVariants(record);
  const shadowVariant = record.kind === "shadow" ? record.variants.find((v) => v.name === SHADOW_VARIANT) : undefined;
  const wanted = [...routed, ...(shadowVariant ? [shadowVariant] : [])];
  const counters = routed.map(() => new ArmCounters(record.name));
  const opened = await Promise.allSettled(
    wanted.map((v, i) =>
      serving.deploy(v.ref, {
        ...(deploy ?? {}),
        name: `${record.name}/${v.name}`,
        variant: v.name,
        // The routed arms are counted by their observers; the shadow's copies are counted where they are sent.
        ...(i < counters.length ? { observer: counters[i] } : {}),
      }),
    ),
  );
  const failure = opened.find((r) => r.status === "rejected");
  if (failure) {
    await Promise.all(
      opened.map((r) => (r.status === "fulfilled" ? r.value.close().catch(() => undefined) : undefined)),
    );
    throw failure.reason;
  }
  const deployments = opened.map((r) => (r as PromiseFulfilledResult<Deployment>).value);
  const arms = routed.map((v, i) => ({ name: v.name, deployment: deployments[i], counters: counters[i] }));
  if (!shadowVariant) return { arms };
  const config = record.config as unknown as ShadowConfig;
  return {
    arms,
    shadow: {
      deployment: deployments[deployments.length - 1],
      sample: config.sample,
      timeoutMs: config.timeoutMs,
      maxInFlight: config.maxInFlight,
      compare: config.compare,
    },
  };
}
