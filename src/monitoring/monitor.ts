import type { Clock } from "../core/clock.js";
import { closedError, invalid, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import type { Lineage } from "../lineage/lineage.js";
import type {
  AlertRecord,
  AlertStatus,
  MonitorModelRef,
  MonitorRecord,
  MonitorStore,
  WindowPartialRecord,
  WindowResultQuery,
  WindowResultRecord,
} from "../stores/monitor-store.js";
import type { LoggedPrediction, PredictionLogStore } from "../stores/prediction-log-store.js";
import type { MonitorEvents } from "./monitor-events.js";
import type { LocalMonitorSettings, MonitorConfig } from "./monitor-settings.js";
import { defaultPredictionRows } from "./prediction-rows.js";
import type { ReferenceProfile } from "./reference-profile.js";
import {
  type MonitorReference,
  profileDigest,
  profileSource,
  type ReferenceSource,
  recordReferenceLineage,
  referenceModel,
  type SetReferenceOptions,
} from "./reference-sources.js";
import { ReferenceCache } from "./reference-cache.js";
import { rowHash } from "./row-hash.js";
import { type ReferenceContext, referenceContext, WindowAggregate } from "./window-aggregate.js";
import { jsonObject, WindowCloser } from "./window-closer.js";
import { readLogRows } from "./deployment-windows.js";
import type { WindowReport } from "./window-report.js";

/** The deployment a monitor watches, as far as it needs it in this process. */
export interface WatchedDeployment {
  flush(): Promise<void>;
  health(): { failed: number };
}

/** What a {@link Monitor} is built with (by `ws.monitors`). */
export interface MonitorContext {
  store: MonitorStore;
  predictions: PredictionLogStore;
  lineage: Lineage;
  events: EventBus<MonitorEvents>;
  clock: Clock;
  /** The open deployment of this name in this process, if any. */
  deployment(name: string): WatchedDeployment | undefined;
  /** Called with every window this process closes (exporters). */
  onWindow(result: WindowResultRecord): void;
  onClosed(): void;
}

/** Options of {@link Monitor.observe}. */
export interface ObserveOptions {
  /** The rows' time (ms) when they carry none (`timeColumn`); default now. */
  at?: number;
}

const MAX_UNSENT = 10_000;

function timeOf(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.floor(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/**
 * A monitor: production rows compared, window by window, with a reference profile — drift per
 * column and over the features and the predictions, data quality, performance once labels arrive,
 * and (for a deployment) latency, errors and throughput — with alert rules over every figure.
 *
 * A monitor of a **deployment** reads its prediction log (with the feedback joined by prediction
 * id) when a window closes, so every process reading the log gives the same window, and compares
 * each window with the reference of the model version that answered its last row: after a hot
 * swap it goes on with the new version's reference. A monitor of **rows given directly**
 * (`observe`) aggregates them in this process and writes partial aggregates to the store; a window
 * is the merge of the partials of every process feeding it.
 *
 * Get one from `ws.monitors.open(name, options)`.
 */
export class Monitor implements AsyncDisposable {
  /** This process's id among the monitor's producers. */
  readonly producer = newId();
  private seq = 0;
  private record: MonitorRecord;
  private readonly pending = new Map<number, WindowAggregate>();
  private countBuffer: Array<{ values: unknown[]; hash: number; at: number }> = [];
  private unsent: WindowPartialRecord[] = [];
  private readonly references: ReferenceCache;
  private readonly closer: WindowCloser;
  private current: { version?: number; context: ReferenceContext } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private checkTimer: ReturnType<typeof setInterval> | undefined;
  private failedBaseline: number | undefined;
  private closing: Promise<void> | undefined;
  /** The model version the watched deployment serves now, as last heard (`deployment.swapped`, or the last window). */
  private servingModel: MonitorModelRef | undefined;
  private stats = { lateRows: 0, droppedPartials: 0, lastError: undefined as string | undefined };

  /** Built by `ws.monitors.open`. */
  constructor(
    record: MonitorRecord,
    readonly config: MonitorConfig,
    private readonly local: LocalMonitorSettings,
    private readonly ctx: MonitorContext,
  ) {
    this.record = record;
    this.references = new ReferenceCache(ctx.store, record.name);
    this.closer = new WindowCloser({
      name: record.name,
      config,
      store: ctx.store,
      predictions: ctx.predictions,
      events: ctx.events,
      clock: ctx.clock,
      references: this.references,
      createdAt: record.createdAt,
      flushIntervalMs: local.flushIntervalMs,
      ...(local.toRows ? { toRows: local.toRows } : {}),
      ...(config.source.kind === "deployment" ? { deployment: config.source.deployment } : {}),
      flushDeployment: async () => {
        if (this.deployment) await this.ctx.deployment(this.deployment)?.flush();
      },
      servingModel: {
        get: () => this.servingModel,
        set: (m) => {
          this.servingModel = m;
        },
      },
      onLate: (rows) => {
        this.stats.lateRows += rows;
      },
      onWindow: (r) => this.ctx.onWindow(r),
    });
  }

  /** The monitor's name. */
  get name(): string {
    return this.record.name;
  }

  /** The deployment it watches, when it watches one. */
  get deployment(): string | undefined {
    return this.config.source.kind === "deployment" ? this.config.source.deployment : undefined;
  }

  /** Loads the references and starts the timers (called once by `ws.monitors.open`). */
  async start(): Promise<void> {
    await this.refreshReferences();
    const d = this.deployment ? this.ctx.deployment(this.deployment) : undefined;
    if (d) this.failedBaseline = d.health().failed;
    // Streams write their partials; deployments sample the deployment's failed calls.
    this.flushTimer = setInterval(() => {
      if (!this.closing) void this.flush().catch(() => undefined);
    }, this.local.flushIntervalMs);
    this.flushTimer.unref?.();
    if (this.local.checkIntervalMs !== false) {
      this.checkTimer = setInterval(() => {
        if (!this.closing) void this.check().catch(() => undefined);
      }, this.local.checkIntervalMs);
      this.checkTimer.unref?.();
    }
  }

  /** The model version the deployment serves now (heard from `deployment.swapped`). */
  noteServing(model: MonitorModelRef): void {
    this.servingModel = model;
  }

  /**
   * Adds rows to the monitor (monitors without a deployment): each row an object with the monitor's
   * columns; its time is `timeColumn`'s value, else `options.at`, else now. Rows are aggregated in
   * this process and written as partials every `flushIntervalMs` (or `flushSize` rows), by
   * `flush()`, `check()` and `close()`.
   *
   * @example
   * ```ts
   * monitor.observe([{ age: 41, plan: "pro", score: 0.7 }, { age: 23, plan: "free", score: 0.2 }]);
   * ```
   */
  observe(rows: ReadonlyArray<Record<string, unknown>>, options: ObserveOptions = {}): void {
    this.live();
    if (this.deployment)
      throw new MlcycleError(
        "PRECONDITION",
        `monitor '${this.name}' reads the prediction log of deployment '${this.deployment}'; observe() is for monitors without a deployment`,
      );
    if (!Array.isArray(rows)) throw invalid(["rows"], "must be an array of rows (objects)");
    if (options.at !== undefined && (typeof options.at !== "number" || !Number.isFinite(options.at) || options.at < 0))
      throw invalid(["at"], `must be a time in ms, got ${String(options.at)}`);
    const { config } = this;
    const names = config.columns.map((c) => c.name);
    const fallbackAt = Math.floor(options.at ?? this.ctx.clock.now());
    const context = this.currentContext();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (typeof r !== "object" || r === null || Array.isArray(r))
        throw invalid(["rows", i], "must be an object of column → value");
      let at = fallbackAt;
      if (config.timeColumn !== undefined) {
        const t = timeOf(r[config.timeColumn]);
        if (t === undefined)
          throw invalid(["rows", i, config.timeColumn], "must be a time: ms since the epoch, a Date or an ISO string");
        at = t;
      }
      const values = names.map((n) => r[n]);
      const id = config.idColumn !== undefined ? r[config.idColumn] : undefined;
      const hash = rowHash(id !== undefined && id !== null ? String(id) : JSON.stringify(values));
      if (config.window.kind === "count") this.countBuffer.push({ values, hash, at });
      else {
        const w = Math.floor(at / config.window.ms);
        let agg = this.pending.get(w);
        if (!agg) {
          agg = new WindowAggregate(config, context);
          this.pending.set(w, agg);
        }
        agg.addRow(values, hash, at);
      }
    }
    if (this.bufferedRows() >= this.local.flushSize) void this.flush().catch(() => undefined);
  }

  /**
   * Writes what this process aggregated as partials. A deployment's monitor samples the
   * deployment's failed calls instead (every `flushIntervalMs` and at each check), counting them in
   * the window of the sampling time.
   */
  flush(): Promise<void> {
    this.live();
    return this.serial(() => this.flushNow());
  }

  /**
   * Writes pending partials, then closes every window that is due — time windows `graceMs` after
   * they end, count windows once they hold their rows — computes and stores their reports, applies
   * the alert rules and emits `monitor.window.closed`, `monitor.alert`, `monitor.resolved`. Returns
   * the reports of the windows this call closed (a window closed by another process first is not
   * closed twice).
   */
  check(): Promise<WindowReport[]> {
    this.live();
    return this.serial(async () => {
      await this.flushNow();
      await this.refreshReferences();
      try {
        const reports = await this.closer.close();
        this.stats.lastError = undefined;
        return reports;
      } catch (error) {
        this.stats.lastError = String((error as Error)?.message ?? error);
        throw error;
      }
    });
  }

  /**
   * Builds and stores a reference profile from a source ({@link ReferenceSource}): per column kind,
   * counts, missing share, range, moments, Sturges bins, distinct values and a sample chosen by row
   * hash (every value while a column has at most `sampleSize`). It becomes the monitor's newest
   * reference, or — with `model` — the reference of that model version. Recorded in lineage as a
   * `reference_profile` made by a `profiling` execution from the source and the model version.
   *
   * @example
   * ```ts
   * const set = await ws.features.getHistoricalFeatures({ entityRows, features: { service: "churn_v1" } });
   * await monitor.setReference({ trainingSet: set }, { model: await ws.registry.getVersion("churn@3") });
   * ```
   */
  async setReference(source: ReferenceSource, options: SetReferenceOptions = {}): Promise<MonitorReference> {
    this.live();
    const model = referenceModel(options.model);
    const {
      profile,
      source: described,
      lineage,
    } = await profileSource(source, this.config, {
      ...(this.deployment ? { deployment: this.deployment } : {}),
      readLog: (deployment, from, to) => readLogRows(this.ctx.predictions, deployment, from, to, (p) => this.toRows(p)),
    });
    const body = jsonObject(profile);
    const stored = await this.ctx.store.addReference({
      monitor: this.name,
      ...(model ? { model } : {}),
      source: described,
      rows: profile.rows,
      digest: profileDigest(body),
      profile: body,
      createdAt: Math.floor(this.ctx.clock.now()),
    });
    await recordReferenceLineage(this.ctx.lineage, stored, lineage);
    // Rows aggregated so far were compared with the previous reference: written before the switch.
    await this.serial(() => this.refreshReferences());
    this.ctx.events.emit("monitor.reference.added", {
      monitor: this.name,
      version: stored.version,
      ...(stored.model ? { model: stored.model } : {}),
      rows: stored.rows,
      digest: stored.digest,
      at: stored.createdAt,
    });
    const { profile: _p, ...info } = stored;
    return info;
  }

  /** The monitor's reference profiles (without their bodies), oldest first. */
  async listReferences(): Promise<MonitorReference[]> {
    this.live();
    return this.ctx.store.listReferences(this.name);
  }

  /** A reference profile's body (the newest when `version` is omitted), or undefined. */
  async reference(version?: number): Promise<(MonitorReference & { profile: ReferenceProfile }) | undefined> {
    this.live();
    const r = await this.ctx.store.getReference(this.name, version);
    return r ? { ...r, profile: r.profile as unknown as ReferenceProfile } : undefined;
  }

  /** The stored results of closed windows (see {@link WindowResultQuery}). */
  async windows(query: WindowResultQuery = {}): Promise<WindowResultRecord[]> {
    this.live();
    return this.ctx.store.listWindowResults(this.name, query);
  }

  /** The latest closed window's result, or undefined. */
  async latest(): Promise<WindowResultRecord | undefined> {
    return (await this.windows({ order: "desc", limit: 1 }))[0];
  }

  /** The monitor's alerts, newest first, optionally open or resolved ones only. */
  async alerts(options: { status?: AlertStatus; limit?: number } = {}): Promise<AlertRecord[]> {
    this.live();
    return this.ctx.store.listAlerts({ monitor: this.name, ...options });
  }

  /** What this process holds: rows not yet written, partials waiting to be retried, rows that came after their window closed. */
  health(): {
    bufferedRows: number;
    unsentPartials: number;
    lateRows: number;
    droppedPartials: number;
    lastError?: string;
  } {
    return {
      bufferedRows: this.bufferedRows(),
      unsentPartials: this.unsent.length,
      lateRows: this.stats.lateRows,
      droppedPartials: this.stats.droppedPartials,
      ...(this.stats.lastError !== undefined ? { lastError: this.stats.lastError } : {}),
    };
  }

  /** Stops the timers and writes what this process aggregated (windows are closed by `check()`, here or in another process). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.flushTimer) clearInterval(this.flushTimer);
      if (this.checkTimer) clearInterval(this.checkTimer);
      try {
        await this.serial(() => this.flushNow());
      } finally {
        this.ctx.onClosed();
      }
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Refreshes the settings read from the store (another process may have updated them). */
  adopt(record: MonitorRecord): void {
    this.record = record;
  }

  // ------------------------------------------------------------------------------ internals

  private live(): void {
    if (this.closing) throw closedError(`monitor '${this.name}'`);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private bufferedRows(): number {
    let n = this.countBuffer.length;
    for (const a of this.pending.values()) n += a.rows;
    return n;
  }

  private partial(window: number, agg: WindowAggregate): WindowPartialRecord {
    const reference = agg.reference.version;
    return {
      monitor: this.name,
      window,
      producer: this.producer,
      seq: ++this.seq,
      rows: agg.rows,
      ...(reference !== undefined ? { reference } : {}),
      data: jsonObject(agg.state()),
      at: Math.floor(this.ctx.clock.now()),
    };
  }

  private async flushNow(): Promise<void> {
    const { config } = this;
    const out: WindowPartialRecord[] = [];
    for (const [w, agg] of this.pending) if (!agg.empty) out.push(this.partial(w, agg));
    this.pending.clear();
    if (this.countBuffer.length > 0 && config.window.kind === "count") {
      const rows = this.countBuffer;
      this.countBuffer = [];
      let first: number;
      try {
        first = await this.ctx.store.reserveRows(this.name, rows.length);
      } catch (error) {
        this.countBuffer = [...rows, ...this.countBuffer];
        throw error;
      }
      const context = this.currentContext();
      const byWindow = new Map<number, WindowAggregate>();
      rows.forEach((r, i) => {
        const w = Math.floor((first + i) / (config.window as { rows: number }).rows);
        let agg = byWindow.get(w);
        if (!agg) {
          agg = new WindowAggregate(config, context);
          byWindow.set(w, agg);
        }
        agg.addRow(r.values, r.hash, r.at);
      });
      for (const [w, agg] of byWindow) out.push(this.partial(w, agg));
    }
    const failed = await this.failedCallsPartial();
    if (failed) out.push(failed);
    this.unsent.push(...out);
    if (this.unsent.length > MAX_UNSENT) {
      this.stats.droppedPartials += this.unsent.length - MAX_UNSENT;
      this.unsent.splice(0, this.unsent.length - MAX_UNSENT);
    }
    if (this.unsent.length === 0) return;
    const batch = this.unsent.slice();
    await this.ctx.store.appendPartials(batch);
    this.unsent.splice(0, batch.length);
  }

  /** The calls the watched deployment failed in this process since the last flush, as a partial of the current window. */
  private async failedCallsPartial(): Promise<WindowPartialRecord | undefined> {
    if (!this.deployment) return undefined;
    const d = this.ctx.deployment(this.deployment);
    if (!d) return undefined;
    const failed = d.health().failed;
    const base = this.failedBaseline ?? 0;
    this.failedBaseline = failed;
    const delta = failed >= base ? failed - base : failed;
    if (delta <= 0) return undefined;
    const now = this.ctx.clock.now();
    let window: number;
    if (this.config.window.kind === "time") window = Math.floor(now / this.config.window.ms);
    else {
      const last = (await this.ctx.store.listWindowResults(this.name, { order: "desc", limit: 1 }))[0];
      window = last ? last.window + 1 : 0;
    }
    const agg = new WindowAggregate(this.config, { columns: [] });
    agg.failed = delta;
    return this.partial(window, agg);
  }

  private async refreshReferences(): Promise<void> {
    const changed = await this.references.refresh();
    if (changed || !this.current) {
      const target = this.deployment
        ? await this.references.forModel(this.servingModel)
        : await this.references.newest();
      this.current = {
        ...(target ? { version: target.version } : {}),
        context: referenceContext(this.config, target?.profile, target?.version),
      };
      // Rows aggregated against the previous reference are written as they are (their partials name it).
      if (changed && this.bufferedRows() > 0) await this.flushNow();
    }
  }

  private currentContext(): ReferenceContext {
    return this.current?.context ?? referenceContext(this.config);
  }

  private toRows(p: LoggedPrediction): Array<Record<string, unknown>> | undefined {
    try {
      return this.local.toRows ? this.local.toRows(p) : defaultPredictionRows(p, this.config);
    } catch {
      return undefined;
    }
  }
}
