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
  private lastShape: { keys: string[]; quoted: string[] } | undefined;

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

  /**
   * The row's keys in sorted order, each as its JSON with a colon (`"trips":`), cached while rows
   * keep the same keys in the same order (checked without allocating).
   */
  shape(row: Record<string, unknown>): { keys: string[]; quoted: string[] } {
    const last = this.lastKeys;
    let i = 0;
    let same = true;
    for (const k in row) {
      if (i >= last.length || last[i] !== k) {
        same = false;
        break;
      }
      i++;
    }
    if (!same || i !== last.length || !this.lastShape) {
      this.lastKeys = Object.keys(row);
      const keys = [...this.lastKeys].sort();
      this.lastShape = { keys, quoted: keys.map((k) => `${JSON.stringify(k)}:`) };
    }
    return this.lastShape;
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.hash.update(`${this.buffer.join("\n")}\n`);
    this.buffer = [];
  }
}

function canonicalRow(row: Record<string, unknown>, digest: TrainingSetDigest): string {
  const { keys, quoted } = digest.shape(row);
  let out = "{";
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const v = row[keys[i]];
    let text: string;
    if (v === null) text = "null";
    else if (typeof v === "number" && Number.isFinite(v) && !Object.is(v, -0)) text = String(v);
    else if (typeof v === "string") text = JSON.stringify(v);
    else if (typeof v === "boolean") text = v ? "true" : "false";
    else if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    else text = canonicalJson(v);
    out += first ? quoted[i] + text : `,${quoted[i]}${text}`;
    first = false;
  }
  return `${out}}`;
}
