import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { MlcycleError } from "../../core/errors.js";
import type { PointInTimeBatch, PointInTimeColumns } from "../../stores/offline-store.js";
import type { SqlPointInTimeAccelerator } from "../../stores/sql/sql-accelerator.js";
import { type ProbeGroups, probeGroups } from "../../stores/sql/sql-probe-order.js";
import type { SqliteHandle, SqliteStatementHandle } from "./sqlite-handle.js";

/** Entity rows per point-in-time batch, and per insert statement into the temporary table. */
const PIT_BATCH = 50_000;
const PIT_INSERT = 500;
/**
 * The worker connection's page cache, in KiB: a lookup walks the whole key range of the view, and
 * SQLite's default 2 MiB cache then rereads the inner pages of the primary key from the file
 * (measured at 1M probes × 5M rows: a fifth of the query time).
 */
const PIT_WORKER_CACHE_KIB = 32_768;

/**
 * The worker of large lookups: plain CommonJS run with `eval`, so it loads the same way from
 * sources, tests and the built package. One message holds every probe in probe order: the distinct
 * keys as one text with each key's length (probes come grouped by key, so each key crosses once and
 * as part of one string), each probe's index into them, and the times. The
 * worker then claims batches from the shared counter `claims` until none is left (the calling
 * thread claims from the same counter whenever it would otherwise wait) and answers each with the
 * matched rows' values JSON (null: no match) or, when the lookup names its features, the matches
 * by feature (`columnsOf`): the JSON is parsed here, and a feature whose matched values are all
 * numbers crosses as a transferred Float64Array, so the calling thread neither parses nor
 * allocates per row.
 */
const PIT_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 10000 });
db.pragma("cache_size = -${PIT_WORKER_CACHE_KIB}");
db.exec("create temp table mlcycle_pit_probes (k text not null, t integer not null)");
const clear = db.prepare("delete from mlcycle_pit_probes");
const inserts = new Map();
const query = db.prepare(workerData.query).pluck();
parentPort.on("message", ({ text, lengths, keyOf, times }) => {
  const distinct = new Array(lengths.length);
  for (let i = 0, at = 0; i < lengths.length; i++) distinct[i] = text.slice(at, (at += lengths[i]));
  const total = keyOf.length;
  const batches = Math.ceil(total / ${PIT_BATCH});
  for (let batch; (batch = Atomics.add(workerData.claims, 0, 1)) < batches; ) {
    const start = batch * ${PIT_BATCH};
    const end = Math.min(total, start + ${PIT_BATCH});
    const values = new Array(end - start);
    db.transaction(() => {
      clear.run();
      const params = [];
      for (let i = start; i < end; i += ${PIT_INSERT}) {
        const n = Math.min(${PIT_INSERT}, end - i);
        let insert = inserts.get(n);
        if (!insert) {
          insert = db.prepare("insert into mlcycle_pit_probes (k, t) values " + Array(n).fill("(?, ?)").join(", "));
          inserts.set(n, insert);
        }
        params.length = 0;
        for (let j = i; j < i + n; j++) params.push(distinct[keyOf[j]], times[j]);
        insert.run(params);
      }
      let r = 0;
      for (const json of query.iterate(workerData.viewId, workerData.ttl, workerData.ttl)) values[r++] = json;
      clear.run();
    })();
    if (!workerData.features) {
      parentPort.postMessage({ batch, values });
      continue;
    }
    const columns = columnsOf(values, workerData.features);
    const transfer = [columns.matched.buffer];
    for (const c of columns.byFeature) if (c instanceof Float64Array) transfer.push(c.buffer);
    parentPort.postMessage({ batch, columns }, transfer);
  }
});

function columnsOf(values, features) {
  const n = values.length;
  const m = features.length;
  const matched = new Uint8Array(n);
  const byFeature = new Array(m);
  for (let k = 0; k < m; k++) byFeature[k] = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const json = values[r];
    if (json === null) continue;
    matched[r] = 1;
    const row = JSON.parse(json);
    for (let k = 0; k < m; k++) {
      const v = row[features[k]] ?? null;
      let column = byFeature[k];
      if (typeof v !== "number" && column instanceof Float64Array) byFeature[k] = column = Array.from(column);
      column[r] = v;
    }
  }
  return { matched, byFeature };
}
`;

/** The match of each probe, in rowid (= insertion) order of the probe table. */
const PIT_QUERY = `select (select g.values_json from feature_offline_rows g
  where g.view_id = ? and g.entity_key = q.k and g.event_time <= q.t
    and (? is null or g.event_time >= q.t - ?)
  order by g.event_time desc, g.created_time desc, g.seq desc limit 1)
from mlcycle_pit_probes q order by q.rowid`;

/**
 * Point-in-time lookups on SQLite: the entity rows go to a temporary table in batches, in key order,
 * and one query per batch finds each row's match with one descent of the clustered primary key (a
 * correlated subquery that returns the matched row's values), so only matches cross into
 * JavaScript. Each batch runs synchronously (nothing else can use the temporary table in between);
 * the event loop gets a turn between batches. Lookups of at least `workerMinRows` rows on a file
 * also run batches on a worker thread with its own connection: both threads claim batches from one
 * shared counter, this one only when it has no answer of the worker's to hand on, so it turns
 * answers into training-set rows first and queries when it would otherwise wait.
 */
export class SqlitePointInTime implements SqlPointInTimeAccelerator {
  private readonly statements = new Map<string, SqliteStatementHandle>();

  constructor(private readonly raw: SqliteHandle) {}

  private prepare(name: string, text: string): SqliteStatementHandle {
    let stmt = this.statements.get(name);
    if (!stmt) {
      stmt = this.raw.prepare(text);
      this.statements.set(name, stmt);
    }
    return stmt;
  }

  /** The statement inserting `n` probes, its text built only when it is first prepared. */
  private insertOf(n: number): SqliteStatementHandle {
    const name = `pit:insert:${n}`;
    return (
      this.statements.get(name) ??
      this.prepare(name, `insert into mlcycle_pit_probes (k, t) values ${Array(n).fill("(?, ?)").join(", ")}`)
    );
  }

  async *pointInTime(
    viewId: number | undefined,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    options: { workerMinRows: number; signal?: AbortSignal; features?: readonly string[] },
  ): AsyncIterable<PointInTimeBatch> {
    const raw = this.raw;
    const { signal, features } = options;
    if (keys.length === 0) return;
    const groups = probeGroups(keys, times);
    const order = groups.order;
    if (viewId === undefined) {
      yield { indices: order, values: new Array(keys.length) };
      return;
    }
    const ttl = ttlMs > 0 ? ttlMs : null;
    this.prepare(
      "pit:create",
      "create temp table if not exists mlcycle_pit_probes (k text not null, t integer not null)",
    ).run();
    const lookup = (batch: number) => this.batchHere(viewId, groups, ttl, batch);
    // The worker's connection sees committed rows only: inside a transaction, stay on this one.
    if (keys.length >= options.workerMinRows && !raw.memory && !raw.inTransaction) {
      yield* this.withWorker(viewId, groups, ttl, lookup, signal, features);
      return;
    }
    for (let batch = 0; batch * PIT_BATCH < order.length; batch++) {
      if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
      yield lookup(batch);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** One batch of probes (in probe order) looked up on this thread's connection. */
  private batchHere(viewId: number, groups: ProbeGroups, ttl: number | null, batch: number): PointInTimeBatch {
    const { order, keys, keyAt, timeAt } = groups;
    const start = batch * PIT_BATCH;
    const end = Math.min(order.length, start + PIT_BATCH);
    const clear = this.prepare("pit:clear", "delete from mlcycle_pit_probes");
    const query = this.prepare("pit:query", PIT_QUERY).pluck();
    const values = new Array<Record<string, unknown> | undefined>(end - start);
    const params: unknown[] = [];
    this.raw.transaction(() => {
      clear.run();
      for (let i = start; i < end; i += PIT_INSERT) {
        const n = Math.min(PIT_INSERT, end - i);
        params.length = 0;
        for (let j = i; j < i + n; j++) params.push(keys[keyAt[j]], timeAt[j]);
        this.insertOf(n).run(params);
      }
      // Rowids grow in insertion order, so the r-th result belongs to probe start + r.
      let r = 0;
      for (const json of query.iterate(viewId, ttl, ttl) as Iterable<string | null>) {
        if (json !== null) values[r] = JSON.parse(json) as Record<string, unknown>;
        r++;
      }
      clear.run();
    })();
    return { indices: order.subarray(start, end), values };
  }

  private async *withWorker(
    viewId: number,
    groups: ProbeGroups,
    ttl: number | null,
    lookup: (batch: number) => PointInTimeBatch,
    signal?: AbortSignal,
    features?: readonly string[],
  ): AsyncGenerator<PointInTimeBatch> {
    const order = groups.order;
    const batches = Math.ceil(order.length / PIT_BATCH);
    const claims = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(PIT_WORKER, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        file: this.raw.name,
        query: PIT_QUERY,
        viewId,
        ttl,
        claims,
        features: features && features.length > 0 ? [...features] : undefined,
      },
    });
    const answers: Array<WorkerAnswer & { batch: number }> = [];
    const done = new Uint8Array(batches);
    let answered = 0;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      wake?.();
    };
    worker.on("message", (m: WorkerAnswer & { batch: number }) => {
      answers.push(m);
      wake?.();
    });
    worker.on("error", (error: unknown) => {
      // Errors thrown in a worker arrive cloned, not always as Error instances.
      const message = (error as { message?: unknown })?.message ?? error;
      fail(new MlcycleError("INTERNAL", `point-in-time worker failed: ${String(message)}`, { cause: error }));
    });
    worker.on("exit", (code) => fail(new MlcycleError("INTERNAL", `point-in-time worker exited (code ${code})`)));
    try {
      // Copied, not transferred: this thread reads the same arrays for the batches it claims.
      const lengths = Int32Array.from(groups.keys, (key) => key.length);
      const message = { text: groups.keys.join(""), lengths, keyOf: groups.keyAt, times: groups.timeAt };
      worker.postMessage(message, [lengths.buffer]);
      for (let yielded = 0; yielded < batches; yielded++) {
        if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
        let answer = answers.shift();
        while (answer === undefined) {
          if (failure) {
            // A worker that fails before its first answer (it could not open the file…) leaves the work here.
            if (answered > 0) throw failure;
            let batch = 0;
            while (done[batch]) batch++;
            done[batch] = 1;
            yield lookup(batch);
            break;
          }
          const batch = Atomics.add(claims, 0, 1);
          if (batch < batches) {
            done[batch] = 1;
            yield lookup(batch);
            // A turn of the event loop, for the worker's answers that came meanwhile.
            await new Promise((resolve) => setImmediate(resolve));
            break;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          answer = answers.shift();
        }
        if (answer === undefined) continue;
        answered++;
        done[answer.batch] = 1;
        const start = answer.batch * PIT_BATCH;
        if (answer.columns) {
          const n = answer.columns.matched.length;
          yield { indices: order.subarray(start, start + n), values: [], columns: answer.columns };
          continue;
        }
        const json = answer.values;
        const values = new Array<Record<string, unknown> | undefined>(json.length);
        for (let r = 0; r < json.length; r++) {
          const text = json[r];
          if (text !== null) values[r] = JSON.parse(text) as Record<string, unknown>;
        }
        yield { indices: order.subarray(start, start + json.length), values };
      }
    } finally {
      worker.removeAllListeners("exit");
      await worker.terminate();
    }
  }
}

/** A worker's answer to one batch: the matched rows' values JSON, or the matches by feature. */
type WorkerAnswer =
  | { values: Array<string | null>; columns?: undefined }
  | { values?: undefined; columns: PointInTimeColumns };
