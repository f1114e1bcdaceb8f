import { invalid, MlcycleError } from "../core/errors.js";
import type { OnlineExperimentRecord } from "../stores/online-experiment-store.js";
import { type BucketLayout, bucketCounts, relayout } from "./bucket-layout.js";
import type { ExperimentChange } from "./experiment-writer.js";

/**
 * The change of a split's weights (variants left out keep theirs), laid out so that only units of
 * variants whose share shrank change variant, audited as `weights_changed`. `PRECONDITION` for
 * another kind or an experiment that is not running; `VALIDATION` for an unknown variant or a bad weight.
 */
export function weightsChange(
  r: OnlineExperimentRecord,
  weights: Record<string, number>,
  actor: string,
  reason: string,
): ExperimentChange {
  if (r.kind !== "split")
    throw new MlcycleError("PRECONDITION", `'${r.name}' is a ${r.kind}: only a split's weights are set by hand`, {
      details: { experiment: r.name, kind: r.kind },
    });
  if (r.status !== "running")
    throw new MlcycleError("PRECONDITION", `'${r.name}' is ${r.status}: its weights no longer change`, {
      details: { experiment: r.name, status: r.status },
    });
  for (const [v, w] of Object.entries(weights)) {
    if (!r.variants.some((x) => x.name === v)) throw invalid(["weights", v], `is not a variant of '${r.name}'`);
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0)
      throw invalid(["weights", v], `must be a finite number ≥ 0, got ${String(w)}`);
  }
  const variants = r.variants.map((v) => ({ ...v, weight: weights[v.name] ?? v.weight }));
  return {
    patch: {
      variants,
      state: { ...r.state, layout: relayout(r.state.layout as BucketLayout, bucketCounts(variants)) },
    },
    event: {
      action: "weights_changed",
      actor,
      reason,
      details: {
        from: Object.fromEntries(r.variants.map((v) => [v.name, v.weight])),
        to: Object.fromEntries(variants.map((v) => [v.name, v.weight])),
      },
    },
  };
}

/**
 * The change that stops a running experiment: status `stopped`, every call to the first variant
 * (control, stable, primary), audited as `stopped`; none when it is not running.
 */
export function stopChange(r: OnlineExperimentRecord, actor: string, reason: string): ExperimentChange | undefined {
  if (r.status !== "running") return undefined;
  const first = r.variants[0].name;
  return {
    patch: {
      status: "stopped",
      state: {
        ...r.state,
        layout: relayout(r.state.layout as BucketLayout, bucketCounts([{ name: first, weight: 1 }])),
        ...(r.kind === "canary" ? { phase: "stopped" } : {}),
      },
    },
    event: { action: "stopped", actor, reason, details: { routedTo: first } },
  };
}
