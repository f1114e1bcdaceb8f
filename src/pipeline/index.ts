export * from "./executor.js";
export * from "./pipelines.js";
