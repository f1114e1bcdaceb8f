// A storage adapter of your own: an ArtifactStore that keeps model files and other artifacts as rows
// of a table in a SQLite database your service already has, instead of files beside it. The same
// adapter is in docs/custom-adapter.md; test/examples/custom-storage.test.ts runs mlcycle's
// conformance suite (`artifactStoreSuite` from `mlcycle/testing`) against it.
// Run with `npm run example:custom-storage` (or `npx tsx examples/custom-storage.ts`).
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import {
  type ArtifactBody,
  type ArtifactInfo,
  type ArtifactStore,
  bodyChunks,
  checkDigest,
  closedError,
  createWorkspace,
  functionModel,
  MlcycleError,
  notFound,
} from "../src/index.js";

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
  // A table name cannot be a bound parameter: accept plain identifiers only.
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table))
    throw new MlcycleError("VALIDATION", `table must be a plain SQL identifier, got '${table.slice(0, 80)}'`);
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

/** What the example did, for its test. */
export interface CustomStorageSummary {
  digest: string;
  rows: number;
  predictions: number[];
}

export async function main({ print = console.log } = {}): Promise<CustomStorageSummary> {
  const db = new Database(":memory:"); // your service's database file in real life
  try {
    await using ws = await createWorkspace({ artifacts: tableArtifactStore({ db }) });
    ws.registry.registerFunction("scale", (s: { factor: number }) => (rows: number[]) => rows.map((x) => x * s.factor));
    const v = await ws.registry.register("scaler", { model: functionModel("scale", { factor: 3 }) });
    const model = await ws.registry.load(`scaler@${v.version}`); // read back from the table
    const predictions = (await model.predict([1, 2])) as number[];
    const { rows } = db.prepare("SELECT count(*) AS rows FROM mlcycle_artifacts").get() as { rows: number };
    print(`scaler@${v.version} stored as a row of mlcycle_artifacts (sha256 ${v.digest.slice(0, 12)}); ${rows} row(s)`);
    print(`loaded back from the table: predict([1, 2]) = [${predictions.join(", ")}]`);
    return { digest: v.digest, rows, predictions };
  } finally {
    db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
