import type { Clock } from "../core/clock.js";
import { closedError, isMlcycleError, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import type {
  DefinitionFilter,
  EntityDefinition,
  FeatureRegistryStore,
  FeatureServiceDefinition,
  FeatureViewDefinition,
  MaterializationState,
} from "../stores/feature-registry-store.js";
import type { LineageStore } from "../stores/lineage-store.js";
import type { OfflineStore } from "../stores/offline-store.js";
import type { OnlineStore } from "../stores/online-store.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { SqlRowReader } from "../stores/sql-row-reader.js";
import type { z } from "zod";
import type { EntityInput, FeatureServiceInput, FeatureViewInput } from "./definitions.js";
import {
  checkEntityRowsArray,
  checkLookupName,
  featureStoreOptionsSchema,
  historicalOptionsSchema,
  streamHistoricalOptionsSchema,
  ingestOptionsSchema,
  materializeIncrementalOptionsSchema,
  materializeOptionsSchema,
  onlineOptionsSchema,
  parseArgument,
  parseOptions,
  pushOptionsSchema,
  rowSourceSchema,
} from "./feature-arguments.js";
import type { FeatureEvents } from "./feature-events.js";
import type {
  FeatureStoreOptions,
  HistoricalFeaturesOptions,
  IngestOptions,
  MaterializeOptions,
  MaterializeViewResult,
  OnlineFeatures,
  PushOptions,
  FeatureSelection,
  SavedTrainingSet,
  TrainingSet,
  ViewStatisticsOptions,
} from "./feature-types.js";
import { DefinitionCatalog } from "./definition-catalog.js";
import { buildTrainingSet, recordTrainingSet } from "./historical-retrieval.js";
import { saveTrainingSetFile } from "./training-set-file.js";
import { type StreamHistoricalFeaturesOptions, TrainingSetStream } from "./training-set-stream.js";
import { writeFeatureRows } from "./ingestion.js";
import { Materializer } from "./materialization.js";
import type { OnDemandFeatureView, OnDemandFeatureViewInput } from "./on-demand.js";
import { readOnlineFeatures, readOnlineFeaturesSync, type SyncOnlineStore } from "./online-read.js";
import type { RowSource } from "./rows.js";
import { SelectionPlanner } from "./selection-plan.js";
import type { SourceContext } from "./sources/feature-source.js";
import type { FeatureViewStatistics } from "./statistics.js";
import { viewStatistics } from "./view-statistics.js";

/**
 * `ws.features`: entities, feature views and services; offline ingestion and point-in-time training
 * sets; online serving with TTL; materialisation; push; on-demand features; statistics.
 *
 * The work is done by one module per concept: the selection plan (`selection-plan.ts`), historical
 * retrieval (`historical-retrieval.ts`), online reads (`online-read.ts`), the ingest/push loop
 * (`ingestion.ts`), materialisation (`materialization.ts`), the definitions (`definition-catalog.ts`)
 * and view statistics (`view-statistics.ts`); this class guards each call and wires the rest.
 *
 * @example
 * ```ts
 * await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
 * await ws.features.applyFeatureView({ name: "driver_stats", entities: ["driver"], ttlMs: 86_400_000,
 *   schema: z.object({ conv_rate: z.number(), trips: z.number().int() }) });
 * await ws.features.ingest("driver_stats", rows);
 * const ts = await ws.features.getHistoricalFeatures({ entityRows, features: ["driver_stats:trips"] });
 * await ws.features.materializeIncremental();
 * const online = await ws.features.getOnlineFeatures([{ driver_id: 7 }], ["driver_stats:trips"]);
 * ```
 */
export class FeatureStore {
  private readonly registry: FeatureRegistryStore;
  private readonly lineage: LineageStore;
  private readonly events: EventBus<FeatureEvents>;
  private readonly clock: Clock;
  private readonly offlineStore?: OfflineStore;
  private readonly onlineStore?: OnlineStore;
  private readonly sql?: SqlRowReader;
  private readonly artifacts?: ArtifactStore;
  private readonly planner: SelectionPlanner;
  private readonly materializer: Materializer;
  private readonly catalog: DefinitionCatalog;
  private closed = false;

  /** `VALIDATION` naming the option when a store is missing or `definitionCacheMs` is out of range. */
  constructor(options: FeatureStoreOptions) {
    parseArgument(featureStoreOptionsSchema, options, "feature store options");
    this.registry = options.registry;
    this.lineage = options.lineage;
    this.events = options.events;
    this.clock = options.clock;
    this.offlineStore = options.offline;
    this.onlineStore = options.online;
    this.sql = options.sql;
    this.artifacts = options.artifacts;
    this.planner = new SelectionPlanner({
      registry: this.registry,
      clock: this.clock,
      cacheMs: options.definitionCacheMs ?? 5000,
    });
    this.catalog = new DefinitionCatalog({
      registry: this.registry,
      lineage: this.lineage,
      planner: this.planner,
      clock: this.clock,
      ...(options.offline ? { offline: options.offline } : {}),
      ...(options.online ? { online: options.online } : {}),
    });
    this.materializer = new Materializer({
      registry: this.registry,
      stores: this,
      resolveView: (name) => this.planner.resolveView(name),
      events: this.events,
      clock: this.clock,
      closed: () => this.closed,
      context: () => this.sourceContext(),
    });
  }

  /** The offline store rows are kept in; the closed error once closed. */
  get offline(): OfflineStore {
    this.enter();
    if (!this.offlineStore) throw new MlcycleError("PRECONDITION", "this feature store has no offline store");
    return this.offlineStore;
  }

  /** The online store values are served from; the closed error once closed. */
  get online(): OnlineStore {
    this.enter();
    if (!this.onlineStore) throw new MlcycleError("PRECONDITION", "this feature store has no online store");
    return this.onlineStore;
  }

  // ---------------------------------------------------------------- definitions

  /**
   * Adds or updates an entity. Its join keys cannot change once set (stored rows are keyed by them):
   * `CONFLICT` — apply a new entity instead. The name may not contain `:` (`VALIDATION`).
   */
  applyEntity(input: EntityInput): Promise<EntityDefinition> {
    return this.guard(() => this.catalog.applyEntity(input));
  }

  /** An entity; `NOT_FOUND` when absent. */
  getEntity(name: string): Promise<EntityDefinition> {
    return this.guard(() => this.catalog.getEntity(name));
  }

  /** Entities matching a filter (by name). */
  listEntities(filter?: DefinitionFilter): Promise<EntityDefinition[]> {
    return this.guard(() => this.catalog.listEntities(filter));
  }

  /**
   * Adds or updates a feature view. Applying a changed definition stores it as the next version;
   * applying the same definition changes nothing. The view is recorded in lineage as artifact
   * `feature_view:<name>`.
   */
  applyFeatureView<S extends z.ZodObject>(input: FeatureViewInput<S>): Promise<FeatureViewDefinition> {
    return this.guard(() => this.catalog.applyFeatureView(input));
  }

  /** A feature view; `NOT_FOUND` when absent. */
  getFeatureView(name: string): Promise<FeatureViewDefinition> {
    return this.guard(() => this.catalog.getFeatureView(name));
  }

  /** Feature views matching a filter (query, owner, tags, entity), by name. */
  listFeatureViews(filter?: DefinitionFilter): Promise<FeatureViewDefinition[]> {
    return this.guard(() => this.catalog.listFeatureViews(filter));
  }

  /** Adds or updates a feature service; every reference must name an existing feature. */
  applyFeatureService(input: FeatureServiceInput): Promise<FeatureServiceDefinition> {
    return this.guard(() => this.catalog.applyFeatureService(input));
  }

  /** A feature service; `NOT_FOUND` when absent. */
  getFeatureService(name: string): Promise<FeatureServiceDefinition> {
    return this.guard(() => this.catalog.getFeatureService(name));
  }

  /** Feature services matching a filter. */
  listFeatureServices(filter?: DefinitionFilter): Promise<FeatureServiceDefinition[]> {
    return this.guard(() => this.catalog.listFeatureServices(filter));
  }

  /** Every definition whose name, description, owner or tags contain `query` (case-insensitive). */
  search(query: string): Promise<{
    entities: EntityDefinition[];
    featureViews: FeatureViewDefinition[];
    featureServices: FeatureServiceDefinition[];
  }> {
    return this.guard(() => this.catalog.search(query));
  }

  /**
   * Removes a feature view's definition and, unless `keepData`, its offline rows and online values.
   * `NOT_FOUND` when absent.
   */
  deleteFeatureView(name: string, options: { keepData?: boolean } = {}): Promise<void> {
    return this.guard(() => this.catalog.deleteFeatureView(name, options));
  }

  /**
   * Declares an on-demand feature view: features computed from request data and stored features by
   * one function, used by {@link FeatureStore.getHistoricalFeatures} and
   * {@link FeatureStore.getOnlineFeatures} alike. Its sources must exist.
   *
   * @example
   * ```ts
   * ws.features.defineOnDemandFeatureView({ name: "trip_features", sources: ["driver_stats:conv_rate"],
   *   request: z.object({ bonus: z.number() }), schema: z.object({ adjusted: z.number() }),
   *   compute: ({ request, features }) => ({ adjusted: (features.conv_rate as number ?? 0) + request.bonus }) });
   * ```
   */
  defineOnDemandFeatureView<R extends z.ZodObject, O extends z.ZodObject>(
    input: OnDemandFeatureViewInput<R, O>,
  ): Promise<OnDemandFeatureView> {
    return this.guard(() => this.catalog.defineOnDemandFeatureView(input));
  }

  // ---------------------------------------------------------------- offline

  /**
   * Validates rows against the view's schema and stores them in the offline store, chunk by chunk
   * (memory holds one chunk). Each row carries the view's join keys, its event time and optionally
   * its created time (default: now); times are integer epoch ms within the `Date` range (or a
   * `Date`, or an ISO-8601 string).
   *
   * A bad row fails its whole chunk: `VALIDATION` with the row's index in the input and zod's
   * issues; nothing of that chunk is stored, the chunks before it are (`details.storedRows` says how
   * many rows). `chunkSize` is an integer in [1, 1,000,000] (default 10,000).
   */
  ingest(
    view: string,
    rows: RowSource<Record<string, unknown>>,
    options: IngestOptions = {},
  ): Promise<{ rows: number; chunks: number }> {
    return this.guard(async () => {
      checkLookupName("view", view);
      parseArgument(rowSourceSchema, rows, "ingest() input", "rows");
      const { chunkSize = 10_000, signal } = parseOptions(ingestOptionsSchema, options, "ingest options");
      const written = await writeFeatureRows(view, rows, {
        ...this.rowWrite(true),
        offline: this.offline,
        chunkSize,
        ...(signal ? { signal } : {}),
        what: `ingestion into '${view}'`,
      });
      return { rows: written.rows, chunks: written.chunks };
    });
  }

  /**
   * Push ingestion: validated rows written straight to the online store, the offline store, or both
   * (default) — for streaming sources that must be served before the next materialisation. Rows are
   * validated and written as by {@link FeatureStore.ingest}, in chunks of 10,000.
   */
  push(
    view: string,
    rows: RowSource<Record<string, unknown>>,
    options: PushOptions = {},
  ): Promise<{ rows: number; online: number }> {
    return this.guard(async () => {
      checkLookupName("view", view);
      parseArgument(rowSourceSchema, rows, "push() input", "rows");
      const { to = "both" } = parseOptions(pushOptionsSchema, options, "push options");
      const written = await writeFeatureRows(view, rows, {
        ...this.rowWrite(to !== "online"),
        ...(to !== "online" ? { offline: this.offline } : {}),
        ...(to !== "offline" ? { online: this.online } : {}),
        chunkSize: 10_000,
        what: `push into '${view}'`,
      });
      return { rows: written.rows, online: written.online };
    });
  }

  /**
   * Builds a point-in-time-correct training set: for each entity row, for each view, the latest
   * feature row of the same entity with event time ≤ the row's time, within the view's TTL (event
   * time ≥ row time − TTL when TTL > 0), ties broken by the latest created time; no match → null
   * (the entity row is kept). Rows come back in input order. On-demand features are computed from
   * the joined values. The result is recorded in lineage as a `training_set` artifact derived from
   * its feature views by a `training_set_build` execution.
   *
   * Each view is joined by one streaming merge over the offline store's key/time-ordered scan, so
   * memory holds the entity rows and one page of feature rows.
   */
  getHistoricalFeatures(options: HistoricalFeaturesOptions): Promise<TrainingSet> {
    return this.guard(async () => {
      const checked = parseArgument(historicalOptionsSchema, options, "getHistoricalFeatures options");
      const plan = await this.planner.selection(checked.features, checked.fullFeatureNames ?? false);
      const set = await buildTrainingSet(() => this.offline, plan, checked, this.sourceContext());
      if (checked.record ?? true) set.artifactId = await recordTrainingSet(this.lineage, set, plan, this.clock.now());
      return set;
    });
  }

  /**
   * The training set {@link FeatureStore.getHistoricalFeatures} builds, read batch by batch: entity
   * rows (an array, an iterable, or a file or query through a source) are joined `batchSize` at a
   * time (default 50,000), so a training set of any size never sits in memory. Recorded in lineage
   * once read to the end (see {@link TrainingSetStream}).
   *
   * @example
   * ```ts
   * const stream = await ws.features.streamHistoricalFeatures({ entityRows, features, batchSize: 10_000 });
   * for await (const { rows } of stream) await writer.write(rows);
   * ```
   */
  streamHistoricalFeatures(options: StreamHistoricalFeaturesOptions): Promise<TrainingSetStream> {
    return this.guard(async () => {
      const checked = parseArgument(streamHistoricalOptionsSchema, options, "streamHistoricalFeatures options");
      const plan = await this.planner.selection(checked.features, checked.fullFeatureNames ?? false);
      return new TrainingSetStream({
        offline: () => this.offline,
        plan,
        options: checked,
        context: this.sourceContext(),
        ...((checked.record ?? true)
          ? { record: (set) => recordTrainingSet(this.lineage, set, plan, this.clock.now()) }
          : {}),
        enter: () => this.enter(),
        failure: (error) => this.failure(error),
      });
    });
  }

  /**
   * Builds a point-in-time-correct training set as {@link FeatureStore.getHistoricalFeatures} does
   * and saves it as a Parquet file in the artifact store, content-addressed (Feast's
   * `create_saved_dataset`): returns its digest, size and row count, never its rows. With entity
   * rows from a file or query the offline store's engine reads (`parquetSource`, `csvSource`,
   * `sqlSource` on `mlcycle/duckdb`), the engine builds and writes the whole set — ten million rows
   * never sit in a JavaScript array. Recorded in lineage like an in-memory set (its digest the
   * file's). Needs an offline store with an engine (`PRECONDITION` otherwise).
   *
   * @example
   * ```ts
   * const saved = await ws.features.saveTrainingSet({
   *   entityRows: parquetSource({ path: "labels.parquet" }), features: ["driver_stats:trips"] });
   * const bytes = await ws.artifacts.get(saved.digest);
   * ```
   */
  saveTrainingSet(options: HistoricalFeaturesOptions): Promise<SavedTrainingSet> {
    return this.guard(async () => {
      const checked = parseArgument(historicalOptionsSchema, options, "saveTrainingSet options");
      const plan = await this.planner.selection(checked.features, checked.fullFeatureNames ?? false);
      const saved: SavedTrainingSet = await saveTrainingSetFile(
        { offline: () => this.offline, artifacts: this.artifacts, context: this.sourceContext() },
        plan,
        checked,
      );
      if (checked.record ?? true)
        saved.artifactId = await recordTrainingSet(this.lineage, saved, plan, this.clock.now());
      return saved;
    });
  }

  // ---------------------------------------------------------------- online

  /**
   * Reads the latest feature values of a batch of entities from the online store. TTL is honoured:
   * a value older than its view's TTL comes back null with status `expired`; an absent one null
   * with `not_found`. Each value carries its event time for freshness. On-demand features are
   * computed from the request data in the entity rows and the stored values, by the same function as
   * in training sets.
   *
   * @example
   * ```ts
   * const { rows } = await ws.features.getOnlineFeatures([{ driver_id: 7 }], ["driver_stats:trips"]);
   * rows[0].values.trips; rows[0].status.trips; // 42, "present"
   * ```
   */
  async getOnlineFeatures(
    entityRows: ReadonlyArray<Record<string, unknown>>,
    features: FeatureSelection,
    options?: { fullFeatureNames?: boolean },
  ): Promise<OnlineFeatures> {
    // The serving hot path: the guard inlined, and options parsed only when given.
    this.enter();
    try {
      checkEntityRowsArray(entityRows);
      const full =
        options === undefined
          ? false
          : (parseArgument(onlineOptionsSchema, options, "getOnlineFeatures options").fullFeatureNames ?? false);
      const now = this.clock.now();
      const plan = this.planner.fastPlan(features, full, now) ?? (await this.planner.selection(features, full));
      const online = this.online;
      // A store reading synchronously answers without a promise of its own: one for the whole call.
      return online.readSync
        ? readOnlineFeaturesSync(online as SyncOnlineStore, plan, entityRows, now)
        : await readOnlineFeatures(online, plan, entityRows, now);
    } catch (error) {
      throw this.failure(error);
    }
  }

  // ---------------------------------------------------------------- materialisation

  /**
   * Copies the latest values per entity from the offline store to the online store for rows with
   * event time in (`start`, `end`] (default: everything up to now; `start` after `end` is
   * `VALIDATION`), chunk by chunk in key/time order with bounded memory. Progress is recorded after
   * each chunk: a run that was interrupted (error, crash, `signal`) is continued from its last
   * chunk by the next call. Writes never replace newer online values, so re-running is harmless.
   */
  materialize(options: MaterializeOptions = {}): Promise<MaterializeViewResult[]> {
    return this.guard(() =>
      this.materializer.run("full", parseOptions(materializeOptionsSchema, options, "materialize options")),
    );
  }

  /**
   * Like {@link FeatureStore.materialize}, from where the last run of each view ended (its
   * `until`) to `end` (default now). It takes no `start` (`VALIDATION`).
   */
  materializeIncremental(options: Omit<MaterializeOptions, "start"> = {}): Promise<MaterializeViewResult[]> {
    return this.guard(() =>
      this.materializer.run(
        "incremental",
        parseOptions(materializeIncrementalOptionsSchema, options, "materializeIncremental options"),
      ),
    );
  }

  /** The recorded materialisation progress of a view, or undefined before its first run. */
  materializationState(view: string): Promise<MaterializationState | undefined> {
    return this.guard(() => this.registry.getMaterialization(checkLookupName("view", view)));
  }

  // ---------------------------------------------------------------- statistics

  /**
   * Statistics of a view's offline rows, computed in one streaming pass with bounded memory:
   * count, missing share, min/max/mean/std, quantiles and a sample for numeric features, top
   * categories for the others. The shape a monitor takes as its reference profile. Options out of
   * range (`sampleSize: -1`, a quantile above 1…) are `VALIDATION` naming the option.
   */
  statistics(view: string, options: ViewStatisticsOptions = {}): Promise<FeatureViewStatistics> {
    return this.guard(() =>
      viewStatistics(view, options, {
        resolveView: (name) => this.planner.resolveView(name),
        offline: () => this.offline,
        context: () => this.sourceContext(),
        now: () => this.clock.now(),
      }),
    );
  }

  /**
   * Stops accepting calls: every call after it (and the `offline` / `online` getters) gives the
   * closed error (`UNAVAILABLE`, `details.closed`). Waits for materialisations in progress; the
   * stores belong to the workspace (or to whoever passed them in).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.materializer.settle();
  }

  /** Throws the closed error once closed. */
  private enter(): void {
    if (this.closed) throw closedError();
  }

  /**
   * Runs one public call: the closed error first, then the call. An error from under a call the
   * store was closed during (a destroyed driver) becomes the closed error, with it as `cause`.
   * Other errors pass unchanged: ours are `MlcycleError`s already, and one thrown by the caller's
   * own code (an `onProgress` callback, a row iterable) is theirs to see as they threw it.
   */
  private async guard<T>(run: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await run();
    } catch (error) {
      throw this.failure(error);
    }
  }

  private failure(error: unknown): unknown {
    if (!this.closed || (isMlcycleError(error) && (error.details.closed || error.code !== "INTERNAL"))) return error;
    const closed = closedError();
    return new MlcycleError(closed.code, closed.message, { details: closed.details, cause: error });
  }

  /** What sources read through: the offline store's engine and the workspace's SQL database. */
  private sourceContext(): SourceContext {
    const engine = this.offlineStore?.engine;
    return { ...(engine ? { engine } : {}), ...(this.sql ? { sql: this.sql } : {}) };
  }

  /**
   * What every ingest and push shares: the clock, the events and the view resolver — which refuses
   * a view with a source when rows would go to the offline store (its rows are the source's).
   */
  private rowWrite(offline: boolean) {
    return {
      now: () => this.clock.now(),
      events: this.events,
      resolveView: async (name: string) => {
        const view = await this.planner.resolveView(name);
        if (offline && view.sourceSpec)
          throw new MlcycleError(
            "PRECONDITION",
            `view '${name}' reads its rows from a ${view.sourceSpec.kind} source: write to the source itself, or push to the online store only (push(view, rows, { to: "online" }))`,
            { details: { view: name, source: view.sourceSpec.kind } },
          );
        return view;
      },
      closed: () => this.closed,
    };
  }
}
