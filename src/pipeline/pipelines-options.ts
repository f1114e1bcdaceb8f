import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { Executor } from "../stores/executor.js";
import type { LineageStore } from "../stores/lineage-store.js";
import type { PipelineStore } from "../stores/pipeline-store.js";
import type { PipelineEvents } from "./pipeline-events.js";
import type { PipelineTracking } from "./step-run.js";
import type { StepWorkspace } from "./step-workspace.js";

/** The metadata ports pipelines write: run and step records, and the lineage of step runs. */
export interface PipelineMetadata {
  readonly pipelines: PipelineStore;
  readonly lineage: LineageStore;
}

/** Settings of `ws.pipelines` a workspace takes (`openWorkspace(dir, { pipelines: { leaseMs } })`). */
export interface PipelineSettings {
  /**
   * How long a run's driver lease lasts, in ms (default 30 000; an integer from 300 to 86 400 000).
   * The driver renews it every third of that while the run goes on; `resume` of a `running` run in
   * another process is `CONFLICT` until the lease has expired (its driver died), then takes over.
   */
  leaseMs?: number;
}

/**
 * What {@link Pipelines} is built with. A workspace passes its own members; a test or an embedder
 * may pass any object with these.
 *
 * @example
 * ```ts
 * new Pipelines({ metadata, artifacts, events, clock, tracking: experiments, workspace: ws });
 * ```
 */
export interface PipelinesOptions<E extends PipelineEvents = PipelineEvents> {
  /** Run and step records, cache entries, and the lineage of step runs. */
  metadata: PipelineMetadata;
  /** Where outputs too large to keep inline go. */
  artifacts: ArtifactStore;
  /** Where run and step events are emitted, and what event triggers listen to. */
  events: EventBus<E>;
  clock: Clock;
  /** Where step tasks run (default: an in-process executor, made on first use and closed with `close()`). */
  executor?: Executor;
  /**
   * The tracking module: each run gets a tracking run, and each step that touches `ctx.run` a child
   * run of it (default: none — runs are not tracked).
   */
  tracking?: PipelineTracking;
  /** Handed to step functions as `ctx.workspace`. */
  workspace: StepWorkspace;
  /** Driver lease settings (see {@link PipelineSettings}). */
  settings?: PipelineSettings;
}
