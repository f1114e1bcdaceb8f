export * from "./feature-store.js";
