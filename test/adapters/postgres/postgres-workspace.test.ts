// Workspaces on postgresStore() (test/services.ts): the schema option, migrations run once when
// several processes start on a new schema at the same moment, alias moves reaching a deployment in
// another workspace or process at once through LISTEN/NOTIFY (polling off), errors, and closing.
import { spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { checkSchemaName, postgresStore } from "../../../src/adapters/postgres/index.js";
import {
  createWorkspace,
  functionModel,
  isMlcycleError,
  localArtifactStore,
  type Workspace,
} from "../../../src/index.js";
import { allMigrations } from "../../../src/stores/sql/migrations/index.js";
import { tempDir } from "../../helpers.js";
import { POSTGRES_URL, service } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

/** The artifact folder every workspace and child process of this file shares. */
const artifacts = tempDir("mlcycle-pg-artifacts-");

function child(schema: string, mode: "migrate" | "follow", onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "postgres-child.ts"), POSTGRES_URL, schema, mode, artifacts],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => {
      const lines = (out + d.toString()).split("\n");
      for (const line of lines.slice(out.split("\n").length - 1, -1)) onLine?.(line);
      out += d.toString();
    });
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("workspaces on PostgreSQL", () => {
  const schemas = testSchemas("mlc_ws");
  afterEach(() => schemas.drop());
  afterAll(() => schemas.end());

  async function workspace(schema = schemas.name()): Promise<Workspace> {
    const store = postgresStore({ pool: schemas.pool, schema });
    const ws = await createWorkspace({ ...store, artifacts: localArtifactStore({ root: artifacts }) });
    ws.registry.registerFunction(
      "scale",
      (s: { factor: number }) => (rows: number[][]) => rows.map((r) => r[0] * s.factor),
    );
    return ws;
  }

  it("keeps every table in the schema, created when absent, and leaves the pool open at close", async () => {
    const schema = schemas.name();
    const ws = await workspace(schema);
    await ws.experiments.withRun({ experiment: "pg" }, (run) => run.logMetric("acc", 0.9));
    const tables = await schemas.pool.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = $1 order by tablename",
      [schema],
    );
    expect(tables.rows.map((r) => r.tablename)).toContain("tracking_runs");
    expect(tables.rows.map((r) => r.tablename)).toContain("mlcycle_migrations");
    const applied = await schemas.pool.query<{ name: string }>(`select name from "${schema}".mlcycle_migrations`);
    expect(applied.rows.map((r) => r.name).sort()).toEqual(allMigrations.map((m) => m.name).sort());
    const metric = await schemas.pool.query(`select key, value from "${schema}".tracking_metrics`);
    expect(metric.rows).toEqual([{ key: "acc", value: 0.9 }]);
    await ws.close();
    // A second workspace on the same schema migrates nothing and sees the run.
    await using again = await workspace(schema);
    expect((await again.experiments.searchRuns({ experiments: "pg" })).runs).toHaveLength(1);
    expect((await schemas.pool.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });

  it("answers calls after close with the closed error, and refuses bad options with VALIDATION", async () => {
    const store = postgresStore({ pool: schemas.pool, schema: schemas.name() });
    const ws = await createWorkspace(store);
    await ws.close();
    await expect(store.metadata.tracking.getExperiment("x")).rejects.toSatisfy(
      (e) => isMlcycleError(e, "UNAVAILABLE") && (e as { details: { closed?: boolean } }).details.closed === true,
    );
    const validation = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    for (const bad of ["", "1abc", "a-b", "a b", 'a"b', "pg_mine", "x".repeat(64), 42])
      validation(() => postgresStore({ pool: schemas.pool, schema: bad as string }));
    validation(() => postgresStore({ pool: {} as never }));
    validation(() => postgresStore(undefined as never));
    expect(checkSchemaName("Mixed_Case_1")).toBe("Mixed_Case_1");
  });

  it("is UNAVAILABLE, with pg's error as cause, when the server cannot be reached", async () => {
    const pool = new pg.Pool({
      connectionString: "postgres://postgres@127.0.0.1:1/test",
      connectionTimeoutMillis: 2000,
    });
    try {
      const error = await createWorkspace(postgresStore({ pool, schema: schemas.name() })).catch((e: unknown) => e);
      expect(isMlcycleError(error, "UNAVAILABLE")).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(Error);
    } finally {
      await pool.end();
    }
  });

  it("applies migrations once when four processes start on a new schema at the same moment", async () => {
    const schema = schemas.name();
    await Promise.all([1, 2, 3, 4].map(() => child(schema, "migrate")));
    const applied = await schemas.pool.query<{ name: string }>(
      `select name from "${schema}".mlcycle_migrations order by name`,
    );
    expect(applied.rows.map((r) => r.name)).toEqual(allMigrations.map((m) => m.name).sort());
    const nodes = await schemas.pool.query(`select count(*)::int as n from "${schema}".lineage_nodes`);
    expect(nodes.rows).toEqual([{ n: 4 }]);
  }, 120_000);

  it("swaps a deployment of another workspace on the schema when the alias moves, with polling off", async () => {
    const schema = schemas.name();
    await using a = await workspace(schema);
    await using b = await workspace(schema);
    const v1 = await a.registry.register("price", { model: functionModel("scale", { factor: 1 }) });
    const v2 = await a.registry.register("price", { model: functionModel("scale", { factor: 2 }) });
    await a.registry.setAlias("price", "champion", v1.version);
    const d = await b.serving.deploy<number[][], number[]>("price@champion", { pollIntervalMs: false });
    expect(d.describe().version).toBe(1);
    const swapped = new Promise((resolve) => b.events.on("deployment.swapped", resolve));
    await a.registry.setAlias("price", "champion", v2.version);
    expect(await swapped).toMatchObject({ deployment: "price@champion", from: 1, to: 2 });
    expect((await d.predict([[3]])).outputs).toEqual([6]);
    // A move in b itself swaps once (its own event), the notice finding the version already served.
    const back = new Promise((resolve) => b.events.on("deployment.swapped", resolve));
    await b.registry.rollback("price", "champion");
    expect(await back).toMatchObject({ from: 2, to: 1 });
    expect(d.describe().version).toBe(1);
  });

  it("swaps a deployment in another process when the alias moves, with polling off", async () => {
    const schema = schemas.name();
    await using ws = await workspace(schema);
    const v1 = await ws.registry.register("price", { model: functionModel("scale", { factor: 1 }) });
    const v2 = await ws.registry.register("price", { model: functionModel("scale", { factor: 5 }) });
    await ws.registry.setAlias("price", "champion", v1.version);
    let moved: Promise<unknown> | undefined;
    const out = await child(schema, "follow", (line) => {
      if (line.startsWith("ready")) moved = ws.registry.setAlias("price", "champion", v2.version);
    });
    await moved;
    expect(out.trim().split("\n")).toEqual(["ready 1", "swapped 2 5"]);
  }, 60_000);

  it("holds one pool client for LISTEN while deployments follow aliases, and gives it back when they close", async () => {
    const schema = schemas.name();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 3 });
    try {
      const ws = await createWorkspace(postgresStore({ pool, schema }));
      ws.registry.registerFunction(
        "scale",
        (s: { factor: number }) => (rows: number[][]) => rows.map((r) => r[0] * s.factor),
      );
      const v = await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
      await ws.registry.setAlias("m", "a", v.version);
      await ws.registry.setAlias("m", "b", v.version);
      const listening = async () =>
        (
          await schemas.pool.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where query ilike 'listen %' and query like $1",
            [`%${schema}%`],
          )
        ).rows[0]?.n;
      const d1 = await ws.serving.deploy("m@a", { pollIntervalMs: false });
      const d2 = await ws.serving.deploy("m@b", { pollIntervalMs: false });
      expect(await listening()).toBe(1);
      await d1.close();
      await d2.close();
      expect(pool.totalCount - pool.idleCount).toBe(0);
      await ws.close();
    } finally {
      await pool.end();
    }
  });
});
