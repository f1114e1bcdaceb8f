export * from "./gate.js";
export type { ClassLabel } from "./metric-input.js";
export * from "./classification-metrics.js";
export * from "./ranking-metrics.js";
export * from "./probability-metrics.js";
export * from "./regression-metrics.js";
export * from "./slices.js";
export * from "./evaluate.js";
