import { expect } from "vitest";
import { MlcycleError } from "../../../src/core/errors.js";

/** Runs `fn`, expects a `VALIDATION` MlcycleError whose message names `argument`, and returns it. */
export function expectValidation(fn: () => unknown, argument: string): MlcycleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlcycleError);
    const err = e as MlcycleError;
    expect(err.code).toBe("VALIDATION");
    expect(err.message).toContain(argument);
    expect(err.issues.length).toBeGreaterThan(0);
    return err;
  }
  throw new Error(`expected a VALIDATION error naming ${argument}`);
}
