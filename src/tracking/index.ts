export * from "./experiments.js";
