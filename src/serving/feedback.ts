import type { Clock } from "../core/clock.js";
import { invalid } from "../core/errors.js";
import { checkName } from "../core/validation.js";
import type { PredictionLogStore } from "../stores/prediction-log-store.js";
import type { Feedback } from "./deployment-types.js";

/**
 * Records feedback on a prediction: `VALIDATION` for a malformed id or feedback (neither a label nor
 * an outcome, or another member), `NOT_FOUND` from the store for an id it does not hold.
 */
export async function recordFeedback(
  store: PredictionLogStore,
  clock: Clock,
  predictionId: string,
  feedback: Feedback,
): Promise<void> {
  checkName("predictionId", predictionId);
  if (typeof feedback !== "object" || feedback === null || Array.isArray(feedback))
    throw invalid(["feedback"], "must be an object with a label, an outcome, or both");
  const { label, outcome, ...rest } = feedback;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(["feedback", unknown[0]], "is not a member of feedback (label, outcome)");
  if (label === undefined && outcome === undefined)
    throw invalid(["feedback"], "must give a label, an outcome, or both");
  await store.putFeedback([
    {
      predictionId,
      ...(label !== undefined ? { label } : {}),
      ...(outcome !== undefined ? { outcome } : {}),
      at: Math.floor(clock.now()),
    },
  ]);
}
