// Storage adapters of your own, both in a SQLite database your service already has: an ArtifactStore
// that keeps model files and other artifacts as rows of a table instead of files beside it, and an
// OnlineStore that keeps the latest feature values per entity in another table. The same adapters
// are in docs/custom-adapter.md; test/examples/custom-storage.test.ts runs mlcycle's conformance
// suites (`artifactStoreSuite` and `onlineStoreSuite` from `mlcycle/testing`) against them.
// Run with `npm run example:custom-storage` (or `npx tsx examples/custom-storage.ts`).
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { z } from "zod";
import {
  type ArtifactBody,
  type ArtifactInfo,
  type ArtifactStore,
  bodyChunks,
  checkDigest,
  checkOnlineWrite,
  closedError,
  createWorkspace,
  functionModel,
  MlcycleError,
  notFound,
  type OnlineRecord,
  type OnlineStore,
} from "../src/index.js";

/** A table name is spliced into SQL (it cannot be a bound parameter): plain identifiers only. */
function checkTable(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table))
    throw new MlcycleError("VALIDATION", `table must be a plain SQL identifier, got '${table.slice(0, 80)}'`);
  return table;
}

/** Options of {@link tableArtifactStore}. */
export interface TableArtifactStoreOptions {
  /** The caller's open database: the store never opens or closes it. */
  db: Database.Database;
  /** The table to keep blobs in (created when absent); default `mlcycle_artifacts`. */
  table?: string;
}

/**
 * Artifacts as rows `(digest, size, bytes)` of a table: content-addressed (the key is the sha256
 * of the bytes), idempotent puts, reads checked against the digest.
 */
export function tableArtifactStore({ db, table = "mlcycle_artifacts" }: TableArtifactStoreOptions): ArtifactStore {
  checkTable(table);
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, bytes BLOB NOT NULL)`);
  const insert = db.prepare(`INSERT OR REPLACE INTO ${table} (digest, size, bytes) VALUES (?, ?, ?)`);
  const select = db.prepare<[string], { bytes: Buffer }>(`SELECT bytes FROM ${table} WHERE digest = ?`);
  const exists = db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM ${table} WHERE digest = ?`);
  const remove = db.prepare(`DELETE FROM ${table} WHERE digest = ?`);
  const all = db.prepare<[], ArtifactInfo>(`SELECT digest, size FROM ${table}`);
  let closed = false;
  const open = () => {
    if (closed) throw closedError("the artifact store");
  };

  return {
    async put(body: ArtifactBody): Promise<ArtifactInfo> {
      open();
      const hash = createHash("sha256");
      const chunks: Uint8Array[] = [];
      // bodyChunks turns a string, bytes or a stream into byte chunks; anything else is VALIDATION.
      for await (const chunk of bodyChunks(body)) {
        hash.update(chunk);
        chunks.push(chunk);
      }
      open();
      const bytes = Buffer.concat(chunks);
      const digest = hash.digest("hex");
      // REPLACE, not IGNORE: a row whose bytes were changed behind the store's back is repaired.
      insert.run(digest, bytes.byteLength, bytes);
      return { digest, size: bytes.byteLength };
    },
    async get(digest) {
      open();
      const row = select.get(checkDigest(digest));
      if (!row) throw notFound("artifact", digest);
      if (createHash("sha256").update(row.bytes).digest("hex") !== digest)
        throw new MlcycleError("INTEGRITY", `artifact ${digest} does not match its digest: the stored bytes changed`);
      return new Uint8Array(row.bytes); // a copy the caller may change
    },
    async has(digest) {
      open();
      return exists.get(checkDigest(digest)) !== undefined;
    },
    async delete(digest) {
      open();
      remove.run(checkDigest(digest));
    },
    async *list() {
      open();
      yield* all.all();
    },
    async close() {
      closed = true; // the database is the caller's: it stays open
    },
  };
}

/**
 * The latest feature values per (view, entity key) as rows of a table. Newer wins in the database:
 * the upsert only replaces a row when the incoming record has a later event time, or the same event
 * time and a created time at least as late — so replays and out-of-order writes are harmless.
 */
export function tableOnlineStore({
  db,
  table = "mlcycle_online",
}: {
  db: Database.Database;
  table?: string;
}): OnlineStore {
  checkTable(table);
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${table} (view TEXT NOT NULL, entity_key TEXT NOT NULL, event_time INTEGER NOT NULL, ` +
      "created_time INTEGER NOT NULL, value_json TEXT NOT NULL, PRIMARY KEY (view, entity_key))",
  );
  const upsert = db.prepare(
    `INSERT INTO ${table} (view, entity_key, event_time, created_time, value_json) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (view, entity_key) DO UPDATE SET event_time = excluded.event_time,
       created_time = excluded.created_time, value_json = excluded.value_json
     WHERE excluded.event_time > ${table}.event_time
        OR (excluded.event_time = ${table}.event_time AND excluded.created_time >= ${table}.created_time)`,
  );
  const select = db.prepare<[string, string], { event_time: number; created_time: number; value_json: string }>(
    `SELECT event_time, created_time, value_json FROM ${table} WHERE view = ? AND entity_key = ?`,
  );
  const drop = db.prepare(`DELETE FROM ${table} WHERE view = ?`);
  const writeAll = db.transaction((view: string, rows: Array<[string, number, number, string]>) => {
    let applied = 0;
    for (const [key, eventTime, createdTime, json] of rows)
      applied += upsert.run(view, key, eventTime, createdTime, json).changes;
    return applied;
  });
  const readSync = (view: string, keys: readonly string[]): Array<OnlineRecord | undefined> =>
    keys.map((key) => {
      const row = select.get(view, key);
      return row && { eventTime: row.event_time, createdTime: row.created_time, values: JSON.parse(row.value_json) };
    });
  return {
    async write(view, records) {
      // checkOnlineWrite applies mlcycle's rules (integer times in the Date range, values as JSON
      // keeps them) and gives the JSON text; every record is checked before any is written.
      const rows = records.map(
        (r, i) => [r.entityKey, r.eventTime, r.createdTime, checkOnlineWrite(r, i)] as [string, number, number, string],
      );
      return writeAll(view, rows);
    },
    async read(view, keys) {
      return readSync(view, keys);
    },
    readSync, // optional: the feature store's hot path reads without awaiting
    async deleteView(view) {
      drop.run(view);
    },
  };
}

/** What the example did, for its test. */
export interface CustomStorageSummary {
  digest: string;
  rows: number;
  predictions: number[];
  online: unknown;
}

export async function main({ print = console.log } = {}): Promise<CustomStorageSummary> {
  const db = new Database(":memory:"); // your service's database file in real life
  try {
    await using ws = await createWorkspace({ artifacts: tableArtifactStore({ db }), online: tableOnlineStore({ db }) });
    ws.registry.registerFunction("scale", (s: { factor: number }) => (rows: number[]) => rows.map((x) => x * s.factor));
    const v = await ws.registry.register("scaler", { model: functionModel("scale", { factor: 3 }) });
    const model = await ws.registry.load(`scaler@${v.version}`); // read back from the table
    const predictions = (await model.predict([1, 2])) as number[];
    const { rows } = db.prepare("SELECT count(*) AS rows FROM mlcycle_artifacts").get() as { rows: number };
    print(`scaler@${v.version} stored as a row of mlcycle_artifacts (sha256 ${v.digest.slice(0, 12)}); ${rows} row(s)`);
    print(`loaded back from the table: predict([1, 2]) = [${predictions.join(", ")}]`);

    // Features: ingested offline, materialised into the online table, read back at serving time.
    await ws.features.applyEntity({ name: "user", joinKeys: { user_id: "string" } });
    await ws.features.applyFeatureView({
      name: "activity",
      entities: ["user"],
      schema: z.object({ clicks: z.number() }),
    });
    await ws.features.ingest("activity", [{ user_id: "u1", event_timestamp: Date.now(), clicks: 3 }]);
    await ws.features.materialize();
    const online = await ws.features.getOnlineFeatures([{ user_id: "u1" }], ["activity:clicks"]);
    print(`online features of u1 read from mlcycle_online: ${JSON.stringify(online.rows[0]?.values)}`);
    return { digest: v.digest, rows, predictions, online: online.rows[0]?.values };
  } finally {
    db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
