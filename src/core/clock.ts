/** A source of time in epoch milliseconds; tests swap it for a controllable one. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that moves only when told: for tests of TTLs, heartbeats and schedules.
 *
 * @example
 * ```ts
 * const clock = manualClock(0); clock.advance(1000); clock.now(); // 1000
 * ```
 */
export function manualClock(start = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}
