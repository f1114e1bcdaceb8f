export * from "./experiments.js";
export * from "./run.js";
export * from "./filter-parser.js";
export * from "./downsample.js";
export * from "./sweep.js";
export * from "./tracking-options.js";
export { TRACKING_LIMITS, checkArtifactPath } from "./tracking-validation.js";
import "./tracking-events.js";
