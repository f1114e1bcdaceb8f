// The feature registry, offline and online store conformance suites on PostgreSQL
// (test/services.ts), each test in a schema of its own, dropped afterwards. The offline store is
// postgresStore()'s: historical retrieval by the LATERAL point-in-time join.
import { afterAll, afterEach, describe } from "vitest";
import { PostgresPointInTime } from "../../../src/adapters/postgres/index.js";
import { SqlFeatureRegistryStore } from "../../../src/stores/sql/sql-feature-registry-store.js";
import { SqlOfflineStore } from "../../../src/stores/sql/sql-offline-store.js";
import { SqlOnlineStore } from "../../../src/stores/sql/sql-online-store.js";
import { featureRegistryStoreSuite, offlineStoreSuite, onlineStoreSuite } from "../../../src/testing/index.js";
import { POSTGRES_URL, service } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("PostgreSQL feature stores", () => {
  const schemas = testSchemas("mlc_features");
  afterEach(() => schemas.drop());
  afterAll(() => schemas.end());

  featureRegistryStoreSuite("postgres", async () => new SqlFeatureRegistryStore(await schemas.database("feature")));
  offlineStoreSuite("postgres", async () => {
    const db = await schemas.database("feature");
    return new SqlOfflineStore(db, { pointInTime: new PostgresPointInTime(db.db) });
  });
  // Small batches, so a lookup of the suite spans several queries.
  offlineStoreSuite("postgres, point-in-time batches of 3", async () => {
    const db = await schemas.database("feature");
    return new SqlOfflineStore(db, { pointInTime: new PostgresPointInTime(db.db, 3) });
  });
  onlineStoreSuite("postgres", async () => new SqlOnlineStore(await schemas.database("feature")));
});
