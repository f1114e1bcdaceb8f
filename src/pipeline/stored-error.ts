import { isMlcycleError, MlcycleError } from "../core/errors.js";
import type { StoredError } from "../stores/pipeline-store.js";

/** The error a cancelled run or step ends with. */
export const cancelledError = (what: string) => new MlcycleError("CANCELLED", `${what} was cancelled`);

/** An error as stored with a run or step record: name, message, stack and `MlcycleError` code. */
export function storedError(error: unknown): StoredError {
  if (error instanceof Error) {
    const e: StoredError = { name: error.name, message: error.message };
    if (error.stack) e.stack = error.stack;
    if (isMlcycleError(error)) e.code = error.code;
    return e;
  }
  return { name: "Error", message: String(error) };
}

/** `CANCELLED` for an operation whose signal was aborted before it began; nothing was written. */
export function abortedError(what: string, signal: AbortSignal): MlcycleError {
  return new MlcycleError("CANCELLED", `${what} was cancelled: its signal was aborted before it began`, {
    cause: signal.reason,
  });
}
