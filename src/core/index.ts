export * from "./errors.js";
export * from "./ids.js";
export * from "./hash.js";
export * from "./events.js";
export * from "./clock.js";
export * from "./validation.js";
export * from "./random.js";
