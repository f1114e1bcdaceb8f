import { MlcycleError } from "../core/errors.js";
import type { OfflineStore } from "../stores/offline-store.js";
import { throwIfCancelled } from "./cancellation.js";
import { entityRowChunks, entityTimeField } from "./entity-rows.js";
import type { HistoricalFeaturesOptions, TrainingSet } from "./feature-types.js";
import { joinEntityRows, planJoinKeys, type TrainingSetRecord } from "./historical-retrieval.js";
import type { SelectionPlan } from "./selection-plan.js";
import type { SourceContext } from "./sources/feature-source.js";
import { TrainingSetDigest } from "./training-set-digest.js";

/** Options of `FeatureStore.streamHistoricalFeatures`: those of `getHistoricalFeatures`, and the batch size. */
export interface StreamHistoricalFeaturesOptions extends HistoricalFeaturesOptions {
  /**
   * Entity rows joined at a time, and so rows per batch handed out (default 50,000). Each batch is
   * one point-in-time join per view: a larger batch means fewer passes over each view's rows.
   */
  batchSize?: number;
}

/** One batch of a streamed training set: rows in the entity rows' order, `offset` the first's index in the whole set. */
export interface TrainingSetBatch {
  rows: Array<Record<string, unknown>>;
  offset: number;
}

/** What is known of a streamed training set once every batch has been read: a training set without its rows. */
export type TrainingSetSummary = Omit<TrainingSet, "rows"> & {
  /** Rows handed out. */
  rows: number;
};

/** What a {@link TrainingSetStream} works with (given by the feature store). */
interface TrainingSetStreamDeps {
  offline: () => OfflineStore;
  plan: SelectionPlan;
  options: StreamHistoricalFeaturesOptions;
  context: SourceContext;
  /** Records the finished set in lineage (absent: not recorded); returns its artifact id. */
  record?: (set: TrainingSetRecord) => Promise<string>;
  /** Called before each batch: throws when the feature store was closed. */
  enter: () => void;
  /** Maps an error thrown while reading (a store closed under it becomes the closed error). */
  failure: (error: unknown) => unknown;
}

/**
 * A point-in-time-correct training set read batch by batch (Feast's retrieval job read as batches
 * of its data frame): the entity rows — an array, an iterable, or a file or query read by a source
 * — are read `batchSize` at a time, each batch joined to every view under the same rule as
 * `getHistoricalFeatures` and handed out, so memory holds one batch of entity rows and of output
 * rows, never the whole set. Read it once with `for await`; once it is read to the end,
 * {@link TrainingSetStream.summary} gives its digest (the same as `getHistoricalFeatures` gives for
 * the same rows) and its lineage artifact id when recorded.
 *
 * @example
 * ```ts
 * const stream = await ws.features.streamHistoricalFeatures({
 *   entityRows: parquetSource({ path: "labels.parquet" }), features: ["driver_stats:trips"], batchSize: 10_000 });
 * for await (const { rows } of stream) write(rows);
 * stream.summary?.digest;
 * ```
 */
export class TrainingSetStream implements AsyncIterable<TrainingSetBatch> {
  /** The feature columns added to the entity rows, in the order requested. */
  readonly columns: string[];
  /** The requested references (a service's, when one was given). */
  readonly features: string[];
  private started = false;
  private done: TrainingSetSummary | undefined;

  constructor(private readonly deps: TrainingSetStreamDeps) {
    this.columns = deps.plan.columns;
    this.features = deps.plan.refs;
  }

  /** The finished set's name, columns, digest, row count and artifact id; undefined until read to the end. */
  get summary(): TrainingSetSummary | undefined {
    return this.done;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TrainingSetBatch> {
    if (this.started)
      throw new MlcycleError("PRECONDITION", "a training set stream is read once: ask for a new one to read it again");
    this.started = true;
    const { plan, options, context, offline } = this.deps;
    const signal = options.signal;
    const size = options.batchSize ?? 50_000;
    try {
      this.deps.enter();
      throwIfCancelled(signal, "historical retrieval");
      const timestampField = entityTimeField(options.entityRows, options.timestampField);
      const hash = new TrainingSetDigest(plan.columns);
      let offset = 0;
      for await (const entityRows of entityRowChunks(options.entityRows, planJoinKeys(plan), context, size, signal)) {
        this.deps.enter();
        const rows = await joinEntityRows(offline, plan, entityRows, timestampField, context, signal, offset);
        for (const row of rows) hash.add(row);
        yield { rows, offset };
        offset += rows.length;
      }
      const digest = hash.digest();
      const summary: TrainingSetSummary = {
        name: options.name ?? `training_set:${digest.slice(0, 12)}`,
        columns: plan.columns,
        features: plan.refs,
        rows: offset,
        digest,
      };
      if (plan.service) summary.service = { name: plan.service.name, version: plan.service.version };
      if (this.deps.record) summary.artifactId = await this.deps.record(summary);
      this.done = summary;
    } catch (error) {
      throw this.deps.failure(error);
    }
  }
}
