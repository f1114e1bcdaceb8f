// The tracking and lineage conformance suites on PostgreSQL (test/services.ts), each test in a
// schema of its own, dropped afterwards.
import { afterAll, afterEach, describe } from "vitest";
import { SqlLineageStore } from "../../../src/stores/sql/sql-lineage-store.js";
import { SqlTrackingStore } from "../../../src/stores/sql/sql-tracking-store.js";
import { lineageStoreSuite, trackingStoreSuite } from "../../../src/testing/index.js";
import { POSTGRES_URL, service } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("PostgreSQL tracking and lineage", () => {
  const schemas = testSchemas("mlc_tracking");
  afterEach(() => schemas.drop());
  afterAll(() => schemas.end());

  trackingStoreSuite("postgres", async () => new SqlTrackingStore(await schemas.database("tracking")));
  lineageStoreSuite("postgres", async () => new SqlLineageStore(await schemas.database("lineage")));
});
