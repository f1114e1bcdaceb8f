export * from "./csv-source.js";
export * from "./feature-source.js";
export * from "./file-glob.js";
export * from "./iterable-source.js";
export * from "./parquet-source.js";
export * from "./postgres-source.js";
export * from "./sql-source.js";
