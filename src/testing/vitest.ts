/**
 * The vitest functions the conformance suites register their tests with. vitest is an optional peer:
 * it is imported here, once, so that `mlcycle/testing` loaded without it fails with an error that
 * says what to install rather than a bare `ERR_MODULE_NOT_FOUND`.
 *
 * @module
 */
import { MlcycleError } from "../core/errors.js";

let vitest: typeof import("vitest");
try {
  vitest = await import("vitest");
} catch (cause) {
  if ((cause as { code?: unknown } | null)?.code !== "ERR_MODULE_NOT_FOUND") throw cause;
  throw new MlcycleError(
    "UNAVAILABLE",
    "mlcycle/testing needs vitest: its conformance suites register vitest tests. " +
      "Install it (npm install -D vitest) and run the suites with vitest.",
    { cause },
  );
}

/** vitest's `describe`, `expect` and `it`. */
export const { describe, expect, it } = vitest;
