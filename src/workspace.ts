import { mkdir } from "node:fs/promises";
import { z } from "zod";
import { join, resolve } from "node:path";
import { sqliteBackend } from "./adapters/sqlite/sqlite-backend.js";
import { type Clock, systemClock } from "./core/clock.js";
import { fromZodError, invalid, MlcycleError } from "./core/errors.js";
import { EventBus } from "./core/events.js";
import { FeatureStore } from "./features/feature-store.js";
import { Lineage } from "./lineage/lineage.js";
import type { Executor } from "./stores/executor.js";
import { Pipelines } from "./pipeline/pipelines.js";
import type { PipelineSettings } from "./pipeline/pipelines-options.js";
import { Monitors } from "./monitoring/monitors.js";
import { ModelRegistry } from "./registry/model-registry.js";
import { OnlineExperiments } from "./experimentation/online-experiments.js";
import { Serving } from "./serving/serving.js";
import type { ArtifactStore } from "./stores/artifact-store.js";
import type { Backend } from "./stores/backend.js";
import { localArtifactStore } from "./stores/local/local-artifact-store.js";
import { memoryArtifactStore } from "./stores/memory/memory-artifact-store.js";
import { memoryStore } from "./stores/memory/memory-metadata-store.js";
import { memoryOfflineStore } from "./stores/memory/memory-offline-store.js";
import { memoryOnlineStore } from "./stores/memory/memory-online-store.js";
import { MemoryOnlineExperimentStore } from "./stores/memory/memory-online-experiment-store.js";
import { MemoryMonitorStore } from "./stores/memory/memory-monitor-store.js";
import { MemoryPredictionLogStore } from "./stores/memory/memory-prediction-log-store.js";
import type { MetadataStore } from "./stores/metadata-store.js";
import type { OfflineStore } from "./stores/offline-store.js";
import type { OnlineStore } from "./stores/online-store.js";
import type { SqlRowReader } from "./stores/sql-row-reader.js";
import { Experiments } from "./tracking/experiments.js";
import { resolveTrackingOptions, type TrackingOptions } from "./tracking/tracking-options.js";
import type { MlcycleEvents } from "./workspace-events.js";

/** What a workspace is built from. Every member is optional: the defaults are in memory. */
export interface WorkspaceOptions extends Partial<Backend> {
  /** Metadata for every domain (default {@link memoryStore}); a {@link Backend} bundle's `metadata`. */
  metadata?: MetadataStore;
  /** Blob storage (default {@link memoryArtifactStore}). */
  artifacts?: ArtifactStore;
  /** Online feature store (default memory; a backend bundle such as `sqliteBackend()` brings its own). */
  online?: OnlineStore;
  /** Offline feature store (default memory; a backend bundle such as `sqliteBackend()` brings its own). */
  offline?: OfflineStore;
  /** The SQL database `sqlSource` queries run on (a backend bundle such as `sqliteBackend()` brings its own). */
  sql?: SqlRowReader;
  /** Where pipeline steps run (default in process). */
  executor?: Executor;
  /** Settings of `ws.pipelines` (the run driver's lease). */
  pipelines?: PipelineSettings;
  /** Metric buffering and heartbeat settings of `ws.experiments`. */
  tracking?: TrackingOptions;
  /** Time source (default the wall clock). */
  clock?: Clock;
}

/**
 * One mlcycle workspace: the domain modules wired onto a set of stores. Two workspaces never share
 * state; `close()` flushes buffers and releases everything the workspace opened.
 */
export interface Workspace extends AsyncDisposable {
  /** Experiment tracking: experiments, runs, metrics, search, sweeps. */
  readonly experiments: Experiments;
  /** Typed pipelines: definition, execution, caching, resume, triggers. */
  readonly pipelines: Pipelines<MlcycleEvents>;
  /** Registered models, versions, aliases, loading. */
  readonly registry: ModelRegistry;
  /** Entities, feature views, training sets, online features. */
  readonly features: FeatureStore;
  /** Deployments: registry versions served in process, hot-swapped, logged. */
  readonly serving: Serving;
  /** Online experiments on deployments: splits, canaries, shadows, bandits, and their analysis. */
  readonly online: OnlineExperiments;
  /** Monitors: drift, data quality, performance and alerts over deployments or rows given directly. */
  readonly monitors: Monitors;
  /** The lineage graph. */
  readonly lineage: Lineage;
  /** Typed events of every domain. */
  readonly events: EventBus<MlcycleEvents>;
  readonly metadata: MetadataStore;
  readonly artifacts: ArtifactStore;
  readonly clock: Clock;
  /** The options the workspace was created with (read by the domain modules for their ports). */
  readonly options: Readonly<WorkspaceOptions>;
  /** True once `close()` has begun. */
  readonly closed: boolean;
  /** Flushes buffers, stops timers and closes the stores; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Builds a workspace on the given stores (memory by default): pass a backend bundle's ports, spread
 * (`...sqliteBackend({ path })`, `...memoryBackend()`), plus anything to override.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace();                      // all in memory
 * const ws2 = await createWorkspace({ ...sqliteBackend({ path: "m.db" }),
 *   artifacts: localArtifactStore({ root: "artifacts" }) });
 * ```
 */
export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  // Options are checked before any store is opened, so a bad option leaves nothing open behind it.
  checkWorkspaceOptions(options);
  resolveTrackingOptions(options.tracking);
  const metadata = options.metadata ?? memoryStore();
  const artifacts = options.artifacts ?? memoryArtifactStore();
  try {
    await metadata.init?.();
  } catch (error) {
    await metadata.close().catch(() => undefined);
    if (error instanceof MlcycleError) throw error;
    throw new MlcycleError("UNAVAILABLE", `could not prepare the ${metadata.kind} metadata store: ${String(error)}`, {
      cause: error,
    });
  }
  const events = new EventBus<MlcycleEvents>();
  const clock = options.clock ?? systemClock;
  const ws = { metadata, artifacts, events, clock, options: { ...options }, closed: false } as {
    -readonly [K in keyof Workspace]: Workspace[K];
  };
  ws.lineage = new Lineage(metadata.lineage);
  ws.experiments = new Experiments({
    store: metadata.tracking,
    artifacts,
    lineage: ws.lineage,
    events,
    clock,
    ...(options.tracking ? { tracking: options.tracking } : {}),
  });
  ws.registry = new ModelRegistry({
    store: metadata.registry,
    artifacts,
    events,
    clock,
    lineage: ws.lineage,
    tracking: ws.experiments,
    versionLineageInStore: true,
  });
  const offline = options.offline ?? memoryOfflineStore();
  const online = options.online ?? memoryOnlineStore();
  ws.features = new FeatureStore({
    registry: metadata.features,
    lineage: metadata.lineage,
    offline,
    online,
    ...(options.sql ? { sql: options.sql } : {}),
    artifacts,
    events,
    clock,
  });
  // A metadata store without a prediction log keeps the log in memory for the workspace's life.
  const predictions = metadata.predictions ?? new MemoryPredictionLogStore();
  ws.serving = new Serving({
    loader: ws.registry,
    features: ws.features,
    predictions,
    artifacts,
    lineage: ws.lineage,
    events,
    clock,
  });
  ws.online = new OnlineExperiments({
    // A metadata store without the port keeps experiments in memory for the workspace's life.
    store: metadata.onlineExperiments ?? new MemoryOnlineExperimentStore(),
    serving: ws.serving,
    registry: ws.registry,
    events,
    clock,
  });
  ws.monitors = new Monitors({
    // A metadata store without a monitor store keeps monitors in memory for the workspace's life.
    store: metadata.monitors ?? new MemoryMonitorStore(),
    predictions,
    deployments: ws.serving,
    lineage: ws.lineage,
    events,
    clock,
  });
  ws.pipelines = new Pipelines({
    metadata,
    artifacts,
    events,
    clock,
    ...(options.executor ? { executor: options.executor } : {}),
    tracking: ws.experiments,
    workspace: ws,
    ...(options.pipelines ? { settings: options.pipelines } : {}),
  });
  let closing: Promise<void> | undefined;
  ws.close = () => {
    closing ??= (async () => {
      ws.closed = true;
      const errors: unknown[] = [];
      // Domain modules first (they flush into the stores), then the stores. Monitors go first of all
      // (they write what they aggregated and read the deployments' counters), then online experiments
      // (their routed deployments drain into serving's), then serving: its calls in flight still use
      // the registry, features and lineage while they drain.
      for (const m of [
        ws.monitors,
        ws.online,
        ws.serving,
        ws.pipelines,
        ws.features,
        ws.registry,
        ws.experiments,
        ws.lineage,
      ]) {
        await m.close().catch((e: unknown) => errors.push(e));
      }
      // The feature stores release what they opened (a DuckDB store its connections) before the
      // metadata store closes a database they may share.
      await offline.close?.().catch((e: unknown) => errors.push(e));
      await online.close?.().catch((e: unknown) => errors.push(e));
      await artifacts.close?.().catch((e: unknown) => errors.push(e));
      await metadata.close().catch((e: unknown) => errors.push(e));
      events.clear();
      if (errors.length)
        throw new MlcycleError("INTERNAL", `closing the workspace failed: ${String(errors[0])}`, { cause: errors[0] });
    })();
    return closing;
  };
  ws[Symbol.asyncDispose] = () => ws.close();
  return ws;
}

/** Options of {@link openWorkspace}. */
export interface OpenWorkspaceOptions extends Omit<WorkspaceOptions, "metadata" | "artifacts"> {
  /** SQLite busy timeout in ms (default 10000). */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating when missing) the embedded default workspace in a folder: `mlcycle.db` (SQLite,
 * WAL) and `artifacts/` (content-addressed files). Several processes may open the same folder.
 *
 * @example
 * ```ts
 * await using ws = await openWorkspace();            // ./.mlcycle
 * await using ws2 = await openWorkspace("/data/ml");
 * ```
 */
export async function openWorkspace(dir = "./.mlcycle", options: OpenWorkspaceOptions = {}): Promise<Workspace> {
  if (typeof dir !== "string" || dir.trim() === "")
    throw invalid(["dir"], "must be a folder path (a non-empty string)");
  checkWorkspaceOptions(options);
  if (options.busyTimeoutMs !== undefined) {
    const parsed = busyTimeoutSchema.safeParse(options.busyTimeoutMs);
    if (!parsed.success) throw fromZodError(parsed.error, "busyTimeoutMs");
  }
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const { busyTimeoutMs, ...rest } = options;
  const backend = sqliteBackend({ path: join(root, "mlcycle.db"), ...(busyTimeoutMs ? { busyTimeoutMs } : {}) });
  return createWorkspace({
    ...rest,
    metadata: backend.metadata,
    offline: rest.offline ?? backend.offline,
    online: rest.online ?? backend.online,
    sql: rest.sql ?? backend.sql,
    artifacts: localArtifactStore({ root: join(root, "artifacts") }),
  });
}

const store = z.custom<object>((v) => typeof v === "object" && v !== null, { message: "must be a store object" });
/**
 * The members of {@link WorkspaceOptions}, each of the right kind. Other members are let through: a
 * backend bundle spread into the options may carry its own (e.g. `database`).
 */
const workspaceOptionsSchema = z.object({
  metadata: store.optional(),
  artifacts: store.optional(),
  online: store.optional(),
  offline: store.optional(),
  sql: store.optional(),
  executor: store.optional(),
  pipelines: store.optional(),
  tracking: store.optional(),
  clock: z
    .custom<Clock>((v) => typeof (v as Partial<Clock> | null)?.now === "function", {
      message: "must be a clock (an object with now())",
    })
    .optional(),
});
const busyTimeoutSchema = z.number().int().min(0).max(2_147_483_647);

function checkWorkspaceOptions(options: unknown): void {
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw invalid(["options"], "must be an object of workspace options");
  const parsed = workspaceOptionsSchema.safeParse(options);
  if (!parsed.success) throw fromZodError(parsed.error, "workspace options");
}
