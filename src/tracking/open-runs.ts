import type { Clock } from "../core/clock.js";
import { invalid, MlcycleError, notFound } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import { checkKey, checkText } from "../core/validation.js";
import type { TrackingStore } from "../stores/tracking-store.js";
import type { ExperimentCatalog } from "./experiment-catalog.js";
import { describeError, Run, type RunEndStatus, type RunHost } from "./run.js";
import { isUniqueViolation } from "./store-errors.js";
import type { TrackingEvents } from "./tracking-events.js";
import { endRunOptionsSchema, parseOptions, runEndStatusSchema, startRunOptionsSchema } from "./tracking-schemas.js";
import { checkDisplayName, checkParams, checkTags } from "./tracking-validation.js";

/** Options of {@link Experiments.startRun}. */
export interface StartRunOptions {
  /** Experiment name or id; an unknown name is created. */
  experiment: string;
  /** Run name (default: a generated `run-<time>`). */
  name?: string;
  /** Parent run, for nested runs (sweep trials, folds, steps). */
  parentRunId?: string;
  tags?: Record<string, string>;
  params?: Record<string, string | number | boolean>;
  /**
   * The run id (default a new ULID), for a caller that hands the id out before the run is written
   * (pipelines give a step its run id up front and write the run on first use). Until the run is
   * written, {@link Experiments.getRun} of that id waits for it.
   */
  runId?: string;
}

/** What {@link OpenRuns} is built with ({@link Experiments} passes its own). */
export interface OpenRunsOptions {
  store: TrackingStore;
  events: EventBus<TrackingEvents>;
  clock: Clock;
  /** Finds or creates the experiment a run is started in. */
  catalog: ExperimentCatalog;
  /** What each {@link Run} is given, less `finishRun` (which these open runs provide). */
  host: Omit<RunHost, "finishRun">;
  /** The heartbeat interval in force (it changes with `Experiments.configure`). */
  heartbeatIntervalMs(): number;
  /** Throws the closed error once the workspace is closed. */
  assertOpen(): void;
  /** Runs one store operation, wrapping driver errors (see `Experiments`). */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * The runs this process has open behind {@link Experiments}: starting, resuming and ending runs,
 * and the heartbeat that keeps open runs from reading `crashed`. The facade delegates its run
 * lifecycle methods here (their documentation lives on the facade).
 */
export class OpenRuns {
  private readonly store: TrackingStore;
  private readonly events: EventBus<TrackingEvents>;
  private readonly clock: Clock;
  private readonly catalog: ExperimentCatalog;
  private readonly host: RunHost;
  private readonly deps: OpenRunsOptions;
  private readonly openRuns = new Map<string, Run>();
  /** Runs started with a caller-given id whose record is being written. */
  private readonly starting = new Map<string, Promise<unknown>>();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatWrite: Promise<void> = Promise.resolve();

  constructor(options: OpenRunsOptions) {
    this.store = options.store;
    this.events = options.events;
    this.clock = options.clock;
    this.catalog = options.catalog;
    this.deps = options;
    this.host = {
      ...options.host,
      finishRun: (run, status, error, options) => this.finishRun(run, status, error, options),
    };
  }

  private assertOpen(): void {
    this.deps.assertOpen();
  }

  private call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.deps.call(operation, fn);
  }

  /** The write of a run being started with that caller-given id, if one is under way. */
  startingRun(runId: string): Promise<unknown> | undefined {
    return this.starting.get(runId);
  }

  /** See {@link Experiments.startRun}. */
  async startRun(opts: StartRunOptions): Promise<Run> {
    this.assertOpen();
    parseOptions(startRunOptionsSchema, opts, "startRun options");
    const given = opts.runId;
    if (given === undefined) return this.startRunNow(opts);
    checkKey("runId", given);
    const started = this.startRunNow(opts);
    const settled = started.catch(() => undefined);
    this.starting.set(given, settled);
    void settled.then(() => {
      if (this.starting.get(given) === settled) this.starting.delete(given);
    });
    return started;
  }

  private async startRunNow(opts: StartRunOptions): Promise<Run> {
    this.assertOpen();
    const name = opts.name === undefined ? undefined : checkDisplayName("run name", opts.name);
    const params = checkParams(opts.params);
    const tags = checkTags(opts.tags);
    const found = await this.catalog.find(opts.experiment);
    const experiment = found
      ? this.catalog.usable(found)
      : await this.catalog.getOrCreate(checkDisplayName("experiment", opts.experiment));
    // A parent open in this process exists (runs are only soft-deleted): no read needed.
    if (opts.parentRunId !== undefined && !this.openRuns.has(opts.parentRunId)) {
      const parentRunId = opts.parentRunId;
      const parent = await this.call("read a run", () => this.store.getRun(parentRunId));
      if (!parent) throw notFound("parent run", parentRunId);
    }
    const now = this.clock.now();
    const id = opts.runId ?? newId(now);
    const duplicate = () =>
      new MlcycleError("CONFLICT", `run '${id}' already exists: give each run its own id`, { details: { runId: id } });
    if (
      opts.runId !== undefined &&
      (this.openRuns.has(id) || (await this.call("read a run", () => this.store.getRun(id))))
    )
      throw duplicate();
    const runName =
      name ??
      `run-${new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${id.slice(-4).toLowerCase()}`;
    const record = {
      id,
      experimentId: experiment.id,
      name: runName,
      status: "running",
      ...(opts.parentRunId !== undefined ? { parentRunId: opts.parentRunId } : {}),
      startTime: now,
      heartbeatAt: now,
    } as const;
    try {
      await this.call("start a run", () => this.store.createRun(record, params, tags));
    } catch (error) {
      // Two callers giving the same id at once: the store's unique key decides.
      if (error instanceof MlcycleError && error.code === "INTERNAL" && isUniqueViolation(error.cause))
        throw new MlcycleError("CONFLICT", duplicate().message, { details: { runId: id }, cause: error.cause });
      throw error;
    }
    return this.open(new Run(this.host, id, experiment.id, runName, opts.parentRunId));
  }

  private open(run: Run): Run {
    this.openRuns.set(run.id, run);
    this.startHeartbeat();
    this.events.emit("run.started", {
      runId: run.id,
      experimentId: run.experimentId,
      ...(run.parentRunId !== undefined ? { parentRunId: run.parentRunId } : {}),
    });
    return run;
  }

  /** See {@link Experiments.resumeRun}. */
  async resumeRun(runId: string): Promise<Run> {
    this.assertOpen();
    checkText("runId", runId, 1000);
    const open = this.openRuns.get(runId);
    if (open) return open;
    const r = await this.call("read a run", () => this.store.getRun(runId));
    if (!r) throw notFound("run", runId);
    const now = this.clock.now();
    await this.call("resume a run", () => this.store.updateRun(runId, { status: "running", heartbeatAt: now }));
    return this.open(new Run(this.host, r.id, r.experimentId, r.name, r.parentRunId));
  }

  /** See {@link Experiments.endRun}. */
  async endRun(runId: string, status: RunEndStatus, opts: { error?: unknown } = {}): Promise<void> {
    this.assertOpen();
    checkText("runId", runId, 1000);
    if (!runEndStatusSchema.safeParse(status).success)
      throw invalid(["status"], `must be finished, failed or killed, got '${String(status)}'`);
    parseOptions(endRunOptionsSchema, opts, "endRun options");
    const open = this.openRuns.get(runId);
    if (open) return open.end(status, opts);
    const r = await this.call("read a run", () => this.store.getRun(runId));
    if (!r) throw notFound("run", runId);
    await this.call("end a run", () =>
      this.store.updateRun(runId, {
        status,
        endTime: this.clock.now(),
        ...(opts.error !== undefined ? { error: describeError(opts.error) } : {}),
      }),
    );
    this.events.emit("run.ended", { runId, experimentId: r.experimentId, status });
  }

  private async finishRun(
    run: Run,
    status: RunEndStatus,
    error?: string,
    options: { recorded?: boolean } = {},
  ): Promise<void> {
    this.openRuns.delete(run.id);
    if (this.openRuns.size === 0) this.stopHeartbeat();
    if (!options.recorded)
      await this.store.updateRun(run.id, {
        status,
        endTime: this.clock.now(),
        ...(error !== undefined ? { error } : {}),
      });
    this.events.emit("run.ended", { runId: run.id, experimentId: run.experimentId, status });
  }

  /** Starts the heartbeat timer unless it runs (or the workspace is closed). */
  startHeartbeat(): void {
    if (this.heartbeatTimer || this.host.isClosed()) return;
    this.heartbeatTimer = setInterval(() => {
      const ids = [...this.openRuns.keys()];
      if (ids.length === 0) return;
      // One write at a time; a failed beat is retried by the next tick.
      this.heartbeatWrite = this.heartbeatWrite
        .then(() => this.store.heartbeat(ids, this.clock.now()))
        .catch(() => undefined);
    }, this.deps.heartbeatIntervalMs());
    this.heartbeatTimer.unref?.();
  }

  /** Stops the heartbeat timer. */
  stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Restarts the heartbeat timer with the interval in force, when it runs. */
  restartHeartbeat(): void {
    if (this.heartbeatTimer) {
      this.stopHeartbeat();
      this.startHeartbeat();
    }
  }

  /** Settles once the heartbeat write under way (if any) is done. */
  heartbeatSettled(): Promise<void> {
    return this.heartbeatWrite;
  }
}
