import { describe, expect, it } from "vitest";
import { backoffDelay, defaultRetryOn, MlcycleError } from "../../src/index.js";

describe("retry backoff", () => {
  it("grows exponentially from backoffMs by factor, capped, with ±50% jitter", () => {
    const policy = { backoffMs: 100, factor: 3, maxBackoffMs: 1000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay({ ...policy, jitter: false }, n))).toEqual([100, 300, 900, 1000]);
    expect(backoffDelay(policy, 2, () => 0)).toBe(150);
    expect(backoffDelay(policy, 2, () => 0.999999)).toBe(450);
    expect(backoffDelay({}, 1, () => 0.5)).toBe(100);
    expect(backoffDelay({ jitter: false }, 10)).toBe(30_000);
  });

  it("retries everything but validation and cancellation by default", () => {
    expect(defaultRetryOn(new Error("io"))).toBe(true);
    expect(defaultRetryOn(new MlcycleError("TIMEOUT", "slow"))).toBe(true);
    expect(defaultRetryOn(new MlcycleError("VALIDATION", "bad"))).toBe(false);
    expect(defaultRetryOn(new MlcycleError("CANCELLED", "stop"))).toBe(false);
  });
});
