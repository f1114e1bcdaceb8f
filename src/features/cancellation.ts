import { MlcycleError } from "../core/errors.js";

/** Throws `CANCELLED` naming `what` when the signal has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new MlcycleError("CANCELLED", `${what} was cancelled`);
}
