import { createHash, type Hash } from "node:crypto";
import { canonicalJson } from "../core/hash.js";

/**
 * sha256 of a training set's canonical content: the JSON of the columns, then one
 * {@link canonicalJson} line per row. Rows are flat, so each is written directly (sorted keys,
 * primitives as JSON), with `canonicalJson` only for nested values — the same text, much faster —
 * and the hash is fed in batches.
 *
 * @example
 * ```ts
 * const d = new TrainingSetDigest(["trips"]); d.add({ driver_id: 1, trips: 3 }); d.digest();
 * ```
 */
export class TrainingSetDigest {
  private readonly hash: Hash;
  private buffer: string[] = [];
  private lastKeys: string[] = [];
  private lastSorted: string[] = [];

  constructor(columns: readonly string[]) {
    this.hash = createHash("sha256").update(canonicalJson(columns)).update("\n");
  }

  /** Adds one row. */
  add(row: Record<string, unknown>): void {
    this.buffer.push(canonicalRow(row, this));
    if (this.buffer.length >= 2048) this.flush();
  }

  /** The hex digest of everything added. */
  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }

  /** Sorted keys of a row, reusing the previous order when the row has the same keys in the same order. */
  sortedKeys(row: Record<string, unknown>): string[] {
    const keys = Object.keys(row);
    const last = this.lastKeys;
    let same = keys.length === last.length;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === last[i];
    if (!same) {
      this.lastKeys = keys;
      this.lastSorted = [...keys].sort();
    }
    return this.lastSorted;
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.hash.update(`${this.buffer.join("\n")}\n`);
    this.buffer = [];
  }
}

function canonicalRow(row: Record<string, unknown>, digest: TrainingSetDigest): string {
  const keys = digest.sortedKeys(row);
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = row[k];
    let text: string;
    if (v === null) text = "null";
    else if (typeof v === "string") text = JSON.stringify(v);
    else if (typeof v === "number" && Number.isFinite(v) && !Object.is(v, -0)) text = String(v);
    else if (typeof v === "boolean") text = v ? "true" : "false";
    else if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    else text = canonicalJson(v);
    out += `${first ? "" : ","}${JSON.stringify(k)}:${text}`;
    first = false;
  }
  return `${out}}`;
}
