/**
 * The closed set of error codes every mlcycle API may raise.
 *
 * - `NOT_FOUND`: a named thing (experiment, run, model, alias, artifact…) does not exist.
 * - `CONFLICT`: the write contradicts what is stored (an immutable param, a duplicate name).
 * - `VALIDATION`: input is malformed; `issues` lists what and where.
 * - `INTEGRITY`: stored bytes no longer match their digest.
 * - `PRECONDITION`: a policy or state forbids the operation (a gate not passed, a run already ended).
 * - `UNAVAILABLE`: a backend could not be reached or is closed.
 * - `TIMEOUT`, `CANCELLED`: an operation ran out of time or was aborted.
 * - `INTERNAL`: a bug or an unexpected backend answer.
 */
export type MlcycleErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "VALIDATION"
  | "INTEGRITY"
  | "PRECONDITION"
  | "UNAVAILABLE"
  | "TIMEOUT"
  | "CANCELLED"
  | "INTERNAL";

/** One problem found in an input: where (`path`) and what (`message`), as zod reports them. */
export interface MlcycleIssue {
  /** A short machine-readable kind, e.g. zod's `invalid_type` or `too_big`. */
  code: string;
  /** Where in the input, e.g. `["params", "lr"]`. */
  path: PropertyKey[];
  /** What was wrong, for a person. */
  message: string;
  /**
   * The fields zod gives for this kind of issue, kept as they are: `expected` (invalid_type),
   * `minimum` / `maximum` / `inclusive` / `origin` (too_small, too_big), `keys` (unrecognized_keys),
   * `values` (invalid_value), `format` (invalid_format), and so on.
   */
  readonly [detail: string]: unknown;
}

/**
 * One zod issue as an {@link MlcycleIssue}: every per-code field kept, the path prefixed, the
 * offending input left out (it can be large, and it is the caller's own data).
 */
export function issueFromZod(
  issue: { code: string; path: readonly PropertyKey[]; message: string },
  prefix: readonly PropertyKey[] = [],
): MlcycleIssue {
  const { input: _input, path, code, message, ...details } = issue as typeof issue & { input?: unknown };
  return { ...details, code: String(code), path: [...prefix, ...path], message };
}

/** Options of {@link MlcycleError}. */
export interface MlcycleErrorOptions {
  cause?: unknown;
  issues?: MlcycleIssue[];
  /** Structured facts about the error (the name that was not found, the conflicting value…). */
  details?: Record<string, unknown>;
}

/**
 * The one error class mlcycle throws. Switch on `code`; read `issues` for validation problems.
 *
 * @example
 * ```ts
 * try { await ws.experiments.get("nope"); }
 * catch (e) { if (isMlcycleError(e, "NOT_FOUND")) console.log(e.message); }
 * ```
 */
export class MlcycleError extends Error {
  override readonly name = "MlcycleError";
  readonly code: MlcycleErrorCode;
  readonly issues: MlcycleIssue[];
  readonly details: Record<string, unknown>;

  constructor(code: MlcycleErrorCode, message: string, options: MlcycleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
  }
}

/** True when `e` is an {@link MlcycleError}, optionally of the given code. */
export function isMlcycleError(e: unknown, code?: MlcycleErrorCode): e is MlcycleError {
  return e instanceof MlcycleError && (code === undefined || e.code === code);
}

/** A `NOT_FOUND` error naming the kind and the key that was looked up. */
export function notFound(kind: string, key: string, hint?: string): MlcycleError {
  return new MlcycleError("NOT_FOUND", `${kind} '${key}' not found${hint ? `: ${hint}` : ""}`, {
    details: { kind, key },
  });
}

/**
 * The one error every call on a closed workspace (or on anything it opened: runs, stores, the
 * artifact store) gives: `UNAVAILABLE` with `details.closed = true`, naming what was closed.
 */
export function closedError(what = "the workspace"): MlcycleError {
  return new MlcycleError("UNAVAILABLE", `${what} is closed: open a new one to go on`, { details: { closed: true } });
}

/** A `VALIDATION` error with one issue at `path`. */
export function invalid(path: PropertyKey[] | string, message: string, code = "invalid"): MlcycleError {
  const p = typeof path === "string" ? [path] : path;
  const where = p.length ? `${p.map(String).join(".")}: ` : "";
  return new MlcycleError("VALIDATION", `${where}${message}`, { issues: [{ code, path: p, message }] });
}

/** Turns zod's error (anything with `issues`) into a `VALIDATION` {@link MlcycleError}. */
export function fromZodError(
  error: { issues: ReadonlyArray<{ code: string; path: readonly PropertyKey[]; message: string }> },
  what: string,
): MlcycleError {
  const issues = error.issues.map((i) => issueFromZod(i));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(root)"}: ${i.message}`)
    .join("; ");
  return new MlcycleError("VALIDATION", `${what} is invalid: ${summary}${issues.length > 3 ? "; …" : ""}`, {
    issues,
    cause: error,
  });
}
