/**
 * Conformance suites for adapter authors: each takes a factory for a fresh store and registers
 * vitest tests. The built-in adapters' tests are calls to these.
 *
 * @packageDocumentation
 */
export * from "./artifact-store-suite.js";
export * from "./lineage-store-suite.js";
export * from "./registry-store-suite.js";
export * from "./feature-registry-store-suite.js";
export * from "./offline-store-suite.js";
export * from "./online-store-suite.js";
export * from "./tracking-store-suite.js";
export * from "./pipeline-store-suite.js";
export * from "./prediction-log-store-suite.js";
export * from "./online-experiment-store-suite.js";
export * from "./monitor-store-suite.js";
export * from "./executor-suite.js";
