import { isMlcycleError } from "../core/errors.js";
import type { RetryPolicy } from "./step.js";

/** Errors that retrying cannot fix: bad input or output, cancellation. */
export function defaultRetryOn(error: unknown): boolean {
  return !(isMlcycleError(error, "VALIDATION") || isMlcycleError(error, "CANCELLED"));
}

/**
 * The wait before retry number `retry` (1-based): exponential from `backoffMs` by `factor`, capped
 * at `maxBackoffMs`, with ±50% jitter so retries of many steps do not fire in step.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(
    policy.maxBackoffMs ?? 30_000,
    (policy.backoffMs ?? 100) * (policy.factor ?? 2) ** Math.max(0, retry - 1),
  );
  if (policy.jitter === false) return base;
  return Math.round(base * (0.5 + random()));
}
