export * from "./deployment-types.js";
export * from "./serving.js";
export * from "./serving-options.js";
export * from "./serving-events.js";
export * from "./routine.js";
