import { MlcycleError } from "../../core/errors.js";
import type {
  EngineTable,
  EngineTrainingSetRequest,
  EngineViewTable,
  OfflineEngine,
  SourceColumn,
  SourceColumnKind,
} from "../../stores/offline-engine.js";
import type { PointInTimeBatch } from "../../stores/offline-store.js";
import { duckdbError } from "./duckdb-client.js";
import { asofCondition, loadProbes, withinTtl } from "./duckdb-point-in-time.js";
import { describeTable, prepareTable, releaseTable, viewRelation } from "./duckdb-relations.js";
import type { DuckDBSession } from "./duckdb-session.js";
import { writeRowsToParquet, writeTrainingSet } from "./duckdb-training-set.js";
import { plainSelect } from "./duckdb-types.js";
import { ident } from "./duckdb-sql.js";

/** Answers per batch handed to the feature store. */
const BATCH = 50_000;

/** What the engine needs of its offline store: where the stored rows are and the ids of views. */
export interface DuckDBEngineStore {
  rowsTable: string;
  viewId(view: string): Promise<number | undefined>;
}

/**
 * The DuckDB offline store's engine: reads Parquet files (`read_parquet`), CSV files (`read_csv`)
 * and queries on the DuckDB database in place, joins them point in time with `ASOF JOIN` under the
 * feature store's rules, and writes training sets to Parquet with `COPY … TO` — so a training set
 * of entity rows from a file never passes through JavaScript.
 */
export class DuckDBEngine implements OfflineEngine {
  readonly name = "duckdb";

  constructor(
    private readonly session: DuckDBSession,
    private readonly store: DuckDBEngineStore,
  ) {}

  reads(table: EngineTable): boolean {
    return table.kind === "parquet" || table.kind === "csv" || table.kind === "sql";
  }

  describe(table: EngineTable): Promise<SourceColumn[]> {
    return this.session.use(async (con) => {
      const prepared = await prepareTable(con, table);
      try {
        return await describeTable(con, prepared);
      } finally {
        await releaseTable(con, prepared);
      }
    });
  }

  async *rows(
    table: EngineTable,
    options: { chunkSize: number; skip?: number; signal?: AbortSignal },
  ): AsyncIterable<Array<Record<string, unknown>>> {
    const { connection, release } = await this.session.acquire();
    const prepared = await prepareTable(connection, table).catch((e: unknown) => {
      release();
      throw e;
    });
    try {
      const columns = await describeTable(connection, prepared);
      const selects = columns.map((c) => plainSelect(ident(c.name), c));
      const offset = options.skip ? ` OFFSET ${Math.floor(options.skip)}` : "";
      const result = await connection
        .stream(`SELECT ${selects.map((s) => s.sql).join(", ")} FROM ${prepared.plain}${offset}`)
        .catch((e: unknown) => {
          throw duckdbError("reading the source", e);
        });
      let out: Array<Record<string, unknown>> = [];
      for (;;) {
        if (options.signal?.aborted) return;
        const chunk = await result.fetchChunk().catch((e: unknown) => {
          throw duckdbError("reading the source", e);
        });
        if (!chunk || chunk.rowCount === 0) break;
        const vectors = columns.map((_, i) => chunk.getColumnVector(i));
        for (let r = 0; r < chunk.rowCount; r++) {
          const row: Record<string, unknown> = {};
          for (let c = 0; c < columns.length; c++) {
            const v = vectors[c].getItem(r);
            row[columns[c].name] = v === null ? null : selects[c].read(v);
          }
          out.push(row);
          if (out.length >= options.chunkSize) {
            yield out;
            out = [];
          }
        }
      }
      if (out.length > 0) yield out;
    } finally {
      await releaseTable(connection, prepared);
      release();
    }
  }

  async *pointInTime(
    view: EngineViewTable,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    signal?: AbortSignal,
  ): AsyncIterable<PointInTimeBatch> {
    if (keys.length === 0) return;
    const { connection, release } = await this.session.acquire();
    let probes: string | undefined;
    const prepared = await prepareTable(connection, view.table).catch((e: unknown) => {
      release();
      throw e;
    });
    try {
      const columns = await describeTable(connection, prepared);
      const relation = viewRelation(prepared, view, columns, "encoded");
      probes = await loadProbes(connection, keys, times);
      const features = relation.features;
      const sql = `SELECT p.i, r.e IS NOT NULL AND ${withinTtl("p.t", "r.e", ttlMs)} AS m, ${features.map((_, i) => `r.f${i}`).join(", ")}
        FROM temp.main.${probes} p ASOF LEFT JOIN ${relation.sql} r
        ON ${asofCondition({ key: "p.k", time: "p.t" }, { key: "r.k", eventTime: "r.e", createdTime: "r.c", position: "r.o" })}`;
      const result = await connection.stream(sql).catch((e: unknown) => {
        throw duckdbError("the point-in-time join", e);
      });
      let indices = new Int32Array(BATCH);
      let values = new Array<Record<string, unknown> | undefined>(BATCH);
      let n = 0;
      for (;;) {
        if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
        const chunk = await result.fetchChunk().catch((e: unknown) => {
          throw duckdbError("the point-in-time join", e);
        });
        if (!chunk || chunk.rowCount === 0) break;
        const iv = chunk.getColumnVector(0);
        const mv = chunk.getColumnVector(1);
        const fv = features.map((_, i) => chunk.getColumnVector(2 + i));
        for (let r = 0; r < chunk.rowCount; r++) {
          indices[n] = iv.getItem(r) as number;
          if (mv.getItem(r) === true) {
            const v: Record<string, unknown> = {};
            for (let f = 0; f < features.length; f++) {
              const x = fv[f].getItem(r);
              v[features[f].name] = x === null ? null : features[f].read(x);
            }
            values[n] = v;
          }
          if (++n === BATCH) {
            yield { indices, values };
            indices = new Int32Array(BATCH);
            values = new Array(BATCH);
            n = 0;
          }
        }
      }
      if (n > 0) yield { indices: indices.subarray(0, n), values: values.slice(0, n) };
    } finally {
      if (probes) await connection.run(`DROP TABLE IF EXISTS temp.main.${probes}`).catch(() => undefined);
      await releaseTable(connection, prepared);
      release();
    }
  }

  writeTrainingSet(request: EngineTrainingSetRequest): Promise<{ rows: number }> {
    return this.session.use((con) => writeTrainingSet(con, this.store, request));
  }

  writeRows(
    path: string,
    columns: ReadonlyArray<{ name: string; kind: SourceColumnKind }>,
    rows: AsyncIterable<ReadonlyArray<Record<string, unknown>>>,
    signal?: AbortSignal,
  ): Promise<{ rows: number }> {
    return this.session.use((con) => writeRowsToParquet(con, path, columns, rows, signal));
  }
}
