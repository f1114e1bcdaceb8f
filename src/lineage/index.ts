export * from "./lineage.js";
