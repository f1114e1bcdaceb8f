export * from "./sample-summary.js";
export * from "./metric-aggregate.js";
export type { LiftEstimate } from "./lift.js";
export * from "./welch-t-test.js";
export * from "./two-proportion-z-test.js";
export * from "./sample-ratio-mismatch.js";
export * from "./confidence-sequence.js";
export * from "./bayesian-lift.js";
export * from "./cuped.js";
