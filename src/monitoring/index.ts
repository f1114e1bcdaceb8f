export * from "./drift/index.js";
