// The registry and pipeline conformance suites on PostgreSQL (test/services.ts), each test in a
// schema of its own, dropped afterwards.
import { afterAll, afterEach, describe } from "vitest";
import { SqlLineageStore } from "../../../src/stores/sql/sql-lineage-store.js";
import { SqlPipelineStore } from "../../../src/stores/sql/sql-pipeline-store.js";
import { SqlRegistryStore } from "../../../src/stores/sql/sql-registry-store.js";
import { SqlTrackingStore } from "../../../src/stores/sql/sql-tracking-store.js";
import { pipelineStoreSuite, registryStoreSuite } from "../../../src/testing/index.js";
import { POSTGRES_URL, service } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("PostgreSQL registry and pipelines", () => {
  const schemas = testSchemas("mlc_registry");
  afterEach(() => schemas.drop());
  afterAll(() => schemas.end());

  registryStoreSuite("postgres", async () => new SqlRegistryStore(await schemas.database("registry")), {
    withLineage: async () => {
      const db = await schemas.database("registry", "lineage");
      const lineage = new SqlLineageStore(db);
      return { registry: new SqlRegistryStore(db, { lineage }), lineage };
    },
  });

  pipelineStoreSuite("postgres", async () => {
    const db = await schemas.database("pipeline", "tracking", "lineage");
    const tracking = new SqlTrackingStore(db);
    const lineage = new SqlLineageStore(db);
    return { pipelines: new SqlPipelineStore(db, { tracking, lineage }), tracking, lineage };
  });
});
