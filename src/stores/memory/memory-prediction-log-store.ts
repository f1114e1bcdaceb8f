import { notFound } from "../../core/errors.js";
import {
  checkFeedbackBatch,
  checkPredictionBatch,
  checkPredictionQuery,
  comparePredictionOrder,
  encodePredictionPageToken,
  mergeFeedback,
  storedFeedback,
  storedPrediction,
} from "../prediction-log-rules.js";
import type {
  FeedbackRecord,
  LoggedPrediction,
  PredictionLogStore,
  PredictionPage,
  PredictionQuery,
  PredictionRecord,
} from "../prediction-log-store.js";

const clone = <T>(v: T): T => structuredClone(v);

/**
 * The in-memory {@link PredictionLogStore}: the reference implementation. Records are kept as
 * `storedPrediction` and `storedFeedback` give them (JSON values as their JSON text reads back), so
 * it answers exactly what a SQL store reads back.
 */
export class MemoryPredictionLogStore implements PredictionLogStore {
  private readonly predictions = new Map<string, PredictionRecord>();
  private readonly feedback = new Map<string, FeedbackRecord>();
  /** Records ordered by (at, id); see {@link sorted}. */
  private ordered: PredictionRecord[] = [];
  /**
   * Records written out of order (several deployments flushing their buffers), merged into
   * `ordered` once at the next read, so a write never costs the size of the log.
   */
  private pending: PredictionRecord[] = [];

  async putPredictions(records: readonly PredictionRecord[]): Promise<void> {
    checkPredictionBatch(records);
    const fresh: PredictionRecord[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      if (this.predictions.has(r.id) || seen.has(r.id)) continue;
      seen.add(r.id);
      fresh.push(storedPrediction(r));
    }
    if (!fresh.length) return;
    for (const r of fresh) this.predictions.set(r.id, r);
    fresh.sort(comparePredictionOrder);
    const last = this.ordered[this.ordered.length - 1];
    if (this.pending.length === 0 && (!last || comparePredictionOrder(last, fresh[0]) < 0))
      for (const r of fresh) this.ordered.push(r);
    else for (const r of fresh) this.pending.push(r);
  }

  async getPrediction(id: string): Promise<LoggedPrediction | undefined> {
    const r = this.predictions.get(id);
    return r ? this.logged(r) : undefined;
  }

  async listPredictions(query: PredictionQuery = {}): Promise<PredictionPage> {
    const q = checkPredictionQuery(query);
    const out: LoggedPrediction[] = [];
    const ordered = this.sorted();
    let start = 0;
    if (q.after) {
      const after = q.after;
      start = lowerBound(ordered, (r) => comparePredictionOrder(r, after) <= 0);
    }
    if (q.from !== undefined) {
      const from = q.from;
      start = Math.max(
        start,
        lowerBound(ordered, (r) => r.at < from),
      );
    }
    let more = false;
    for (let i = start; i < ordered.length; i++) {
      const r = ordered[i];
      if (q.to !== undefined && r.at >= q.to) break;
      if (q.from !== undefined && r.at < q.from) continue;
      if (q.deployment !== undefined && r.deployment !== q.deployment) continue;
      if (q.model !== undefined && r.model !== q.model) continue;
      if (q.version !== undefined && r.version !== q.version) continue;
      if (q.variant !== undefined && r.variant !== q.variant) continue;
      if (q.withFeedback !== undefined && this.feedback.has(r.id) !== q.withFeedback) continue;
      if (out.length === q.limit) {
        more = true;
        break;
      }
      out.push(this.logged(r));
    }
    const last = out[out.length - 1];
    return more && last
      ? { predictions: out, nextPageToken: encodePredictionPageToken(last.at, last.id) }
      : { predictions: out };
  }

  async putFeedback(records: readonly FeedbackRecord[]): Promise<void> {
    checkFeedbackBatch(records);
    for (const f of records) if (!this.predictions.has(f.predictionId)) throw notFound("prediction", f.predictionId);
    for (const f of records)
      this.feedback.set(f.predictionId, mergeFeedback(this.feedback.get(f.predictionId), storedFeedback(f)));
  }

  async deletePredictionsBefore(before: number, options: { deployment?: string } = {}): Promise<number> {
    checkPredictionQuery({
      to: before,
      ...(options.deployment !== undefined ? { deployment: options.deployment } : {}),
    });
    const keep: PredictionRecord[] = [];
    let removed = 0;
    for (const r of this.sorted()) {
      if (r.at < before && (options.deployment === undefined || r.deployment === options.deployment)) {
        this.predictions.delete(r.id);
        this.feedback.delete(r.id);
        removed++;
      } else keep.push(r);
    }
    this.ordered = keep;
    return removed;
  }

  /** The records in (at, id) order, with those written out of order merged in. */
  private sorted(): PredictionRecord[] {
    if (this.pending.length) {
      this.pending.sort(comparePredictionOrder);
      this.ordered = mergeSorted(this.ordered, this.pending);
      this.pending = [];
    }
    return this.ordered;
  }

  private logged(r: PredictionRecord): LoggedPrediction {
    const f = this.feedback.get(r.id);
    const out: LoggedPrediction = clone(r);
    if (f) out.feedback = clone(f);
    return out;
  }
}

/** First index whose element does not satisfy `before` (the array is partitioned by it). */
function lowerBound<T>(xs: readonly T[], before: (x: T) => boolean): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(xs[mid])) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The two sorted lists as one, in prediction order. */
function mergeSorted(a: readonly PredictionRecord[], b: readonly PredictionRecord[]): PredictionRecord[] {
  const out: PredictionRecord[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = comparePredictionOrder(a[i], b[j]) <= 0 ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}
