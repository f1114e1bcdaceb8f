export * from "./model-registry.js";
export * from "./model-ref.js";
export * from "./registry-events.js";
export type { ModelSignature, SchemaLike } from "./signature.js";
export * from "./webhooks.js";
export * from "./flavors/json-flavor.js";
export * from "./flavors/function-flavor.js";
