import { createHash, type Hash } from "node:crypto";
import { canonicalJson } from "../core/hash.js";

/** Characters of text gathered before they are hashed. */
const FLUSH_CHARS = 1 << 16;

/**
 * sha256 of a training set's canonical content: the JSON of the columns, then one
 * {@link canonicalJson} line per row. Rows are flat, so each is written directly (sorted keys,
 * primitives as JSON), with `canonicalJson` only for nested values — the same text, much faster.
 * The lines are appended to one string, hashed every ~64K characters: no string per row, no
 * array of lines to join (measured at a million rows: half the time of joining per-row strings).
 *
 * @example
 * ```ts
 * const d = new TrainingSetDigest(["trips"]); d.add({ driver_id: 1, trips: 3 }); d.digest();
 * ```
 */
export class TrainingSetDigest {
  private readonly hash: Hash;
  private text = "";
  private lastKeys: string[] = [];
  private lastShape: RowShape | undefined;

  constructor(columns: readonly string[]) {
    this.hash = createHash("sha256").update(canonicalJson(columns)).update("\n");
  }

  /** Adds one row. */
  add(row: Record<string, unknown>): void {
    const { keys, first, next } = this.shape(row);
    let text = this.text;
    let opened = false;
    for (let i = 0; i < keys.length; i++) {
      const v = row[keys[i]];
      let value: string;
      if (v === null) value = "null";
      else if (typeof v === "number" && Number.isFinite(v) && !Object.is(v, -0)) value = String(v);
      else if (typeof v === "string") value = JSON.stringify(v);
      else if (typeof v === "boolean") value = v ? "true" : "false";
      else if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      else value = canonicalJson(v);
      text += (opened ? next[i] : first[i]) + value;
      opened = true;
    }
    text += opened ? "}\n" : "{}\n";
    if (text.length >= FLUSH_CHARS) {
      this.hash.update(text);
      text = "";
    }
    this.text = text;
  }

  /** The hex digest of everything added. */
  digest(): string {
    if (this.text.length > 0) this.hash.update(this.text);
    this.text = "";
    return this.hash.digest("hex");
  }

  /**
   * The row's keys in sorted order, each as its JSON with a colon, opening the row (`{"trips":`) or
   * following another key (`,"trips":`), cached while rows keep the same keys in the same order
   * (checked without allocating).
   */
  private shape(row: Record<string, unknown>): RowShape {
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
      this.lastShape = {
        keys,
        first: keys.map((k) => `{${JSON.stringify(k)}:`),
        next: keys.map((k) => `,${JSON.stringify(k)}:`),
      };
    }
    return this.lastShape;
  }
}

type RowShape = { keys: string[]; first: string[]; next: string[] };
