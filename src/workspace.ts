import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Clock, systemClock } from "./core/clock.js";
import { MlcycleError } from "./core/errors.js";
import { EventBus } from "./core/events.js";
import { FeatureStore } from "./features/feature-store.js";
import { Lineage } from "./lineage/lineage.js";
import type { Executor } from "./pipeline/executor.js";
import { Pipelines } from "./pipeline/pipelines.js";
import { ModelRegistry } from "./registry/model-registry.js";
import type { ArtifactStore } from "./stores/artifact-store.js";
import { localArtifactStore } from "./stores/local/local-artifact-store.js";
import { memoryArtifactStore } from "./stores/memory/memory-artifact-store.js";
import { memoryStore } from "./stores/memory/memory-metadata-store.js";
import { memoryOfflineStore } from "./stores/memory/memory-offline-store.js";
import { memoryOnlineStore } from "./stores/memory/memory-online-store.js";
import type { MetadataStore } from "./stores/metadata-store.js";
import type { OfflineStore } from "./stores/offline-store.js";
import type { OnlineStore } from "./stores/online-store.js";
import { sqliteStore } from "./stores/sql/sql-metadata-store.js";
import { sqlOfflineStore } from "./stores/sql/sql-offline-store.js";
import { sqliteOnlineStore } from "./stores/sql/sqlite-online-store.js";
import { Experiments } from "./tracking/experiments.js";
import type { TrackingOptions } from "./tracking/tracking-options.js";
import type { WorkspaceContext } from "./workspace-context.js";
import type { MlcycleEvents } from "./workspace-events.js";

/** What a workspace is built from. Every member is optional: the defaults are in memory. */
export interface WorkspaceOptions {
  /** Metadata for every domain (default {@link memoryStore}). */
  metadata?: MetadataStore;
  /** Blob storage (default {@link memoryArtifactStore}). */
  artifacts?: ArtifactStore;
  /** Online feature store (default: SQLite on a SQLite metadata store, memory otherwise). */
  online?: OnlineStore;
  /** Offline feature store (default: SQL on a SQL metadata store, memory otherwise). */
  offline?: OfflineStore;
  /** Where pipeline steps run (default in process). */
  executor?: Executor;
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
  readonly pipelines: Pipelines;
  /** Registered models, versions, aliases, loading. */
  readonly registry: ModelRegistry;
  /** Entities, feature views, training sets, online features. */
  readonly features: FeatureStore;
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
 * Builds a workspace on the given stores (memory by default).
 *
 * @example
 * ```ts
 * const ws = await createWorkspace();                      // all in memory
 * const ws2 = await createWorkspace({ metadata: sqliteStore({ path: "m.db" }),
 *   artifacts: localArtifactStore({ root: "artifacts" }) });
 * ```
 */
export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
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
  const ctx: WorkspaceContext = { metadata, artifacts, events, clock, workspace: ws };
  ws.lineage = new Lineage(ctx);
  ws.experiments = new Experiments(ctx);
  ws.registry = new ModelRegistry({
    store: metadata.registry,
    artifacts,
    events,
    clock,
    lineage: ws.lineage,
    tracking: ws.experiments,
  });
  const offline = options.offline ?? (metadata.sql ? sqlOfflineStore(metadata.sql) : memoryOfflineStore());
  const online =
    options.online ?? (metadata.sql?.dialect === "sqlite" ? sqliteOnlineStore(metadata.sql) : memoryOnlineStore());
  ws.features = new FeatureStore(ctx, { offline, online });
  ws.pipelines = new Pipelines(ctx);
  let closing: Promise<void> | undefined;
  ws.close = () => {
    closing ??= (async () => {
      ws.closed = true;
      const errors: unknown[] = [];
      // Domain modules first (they flush into the stores), then the stores.
      for (const m of [ws.pipelines, ws.features, ws.registry, ws.experiments]) {
        await m.close().catch((e: unknown) => errors.push(e));
      }
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
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const { busyTimeoutMs, ...rest } = options;
  return createWorkspace({
    ...rest,
    metadata: sqliteStore({ path: join(root, "mlcycle.db"), ...(busyTimeoutMs ? { busyTimeoutMs } : {}) }),
    artifacts: localArtifactStore({ root: join(root, "artifacts") }),
  });
}
