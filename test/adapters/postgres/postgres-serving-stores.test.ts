// The prediction log, online experiment and monitor store conformance suites on PostgreSQL
// (test/services.ts), each test in a schema of its own, dropped afterwards.
import { afterAll, afterEach, describe } from "vitest";
import { SqlMonitorStore } from "../../../src/stores/sql/sql-monitor-store.js";
import { SqlOnlineExperimentStore } from "../../../src/stores/sql/sql-online-experiment-store.js";
import { SqlPredictionLogStore } from "../../../src/stores/sql/sql-prediction-log-store.js";
import { monitorStoreSuite, onlineExperimentStoreSuite, predictionLogStoreSuite } from "../../../src/testing/index.js";
import { POSTGRES_URL, service } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("PostgreSQL prediction log, experiments, monitors", () => {
  const schemas = testSchemas("mlc_serving");
  afterEach(() => schemas.drop());
  afterAll(() => schemas.end());

  predictionLogStoreSuite("postgres", async () => new SqlPredictionLogStore(await schemas.database("prediction-log")));
  onlineExperimentStoreSuite(
    "postgres",
    async () => new SqlOnlineExperimentStore(await schemas.database("online-experiments")),
  );
  monitorStoreSuite("postgres", async () => new SqlMonitorStore(await schemas.database("monitors")));
});
