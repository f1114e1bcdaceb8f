import { closedError, MlcycleError } from "../core/errors.js";

/**
 * True when a driver error is a unique-key violation (SQLite's `UNIQUE constraint failed` and
 * `SQLITE_CONSTRAINT_PRIMARYKEY`, PostgreSQL's `23505`).
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (typeof e !== "object" || e === null) return false;
  if (e.code === "23505" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || e.code === "SQLITE_CONSTRAINT_UNIQUE")
    return true;
  return typeof e.message === "string" && e.message.includes("UNIQUE constraint failed");
}

/**
 * What the tracking module throws for an error out of its stores: an {@link MlcycleError} as it is;
 * anything else (a driver's or a runtime error) wrapped with it as `cause` — the closed error when
 * the workspace closed meanwhile, `INTERNAL` naming the operation otherwise.
 */
export function fromStoreError(error: unknown, operation: string, closed: boolean): MlcycleError {
  if (error instanceof MlcycleError) return error;
  if (closed) {
    const c = closedError();
    return new MlcycleError(c.code, c.message, { details: c.details, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new MlcycleError("INTERNAL", `the tracking store failed to ${operation}: ${message}`, { cause: error });
}
