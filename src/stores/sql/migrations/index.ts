import type { SqlMigration } from "../sql-database.js";
import { featureRegistryMigrations } from "./feature-registry.js";
import { lineageMigrations } from "./lineage.js";
import { monitorMigrations } from "./monitors.js";
import { onlineExperimentMigrations } from "./online-experiments.js";
import { pipelineMigrations } from "./pipeline.js";
import { predictionLogMigrations } from "./prediction-log.js";
import { registryMigrations } from "./registry.js";
import { trackingMigrations } from "./tracking.js";
import { trackingNegativeZeroMigrations } from "./tracking-negative-zero.js";

/** Every schema change of the SQL metadata store; applied in name order. */
export const allMigrations: readonly SqlMigration[] = [
  ...trackingMigrations,
  ...trackingNegativeZeroMigrations,
  ...lineageMigrations,
  ...pipelineMigrations,
  ...registryMigrations,
  ...featureRegistryMigrations,
  ...predictionLogMigrations,
  ...onlineExperimentMigrations,
  ...monitorMigrations,
];
