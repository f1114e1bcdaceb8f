export * from "./lineage.js";
export { lineageIds } from "./external-ids.js";
