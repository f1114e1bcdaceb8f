import type { Clock } from "../core/clock.js";
import { closedError, invalid, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import type { TrainingSet } from "../features/feature-types.js";
import type { FeatureViewStatistics } from "../features/statistics.js";
import type { Lineage } from "../lineage/lineage.js";
import type {
  AlertRecord,
  AlertStatus,
  MonitorModelRef,
  MonitorRecord,
  MonitorStore,
  ReferenceProfileInfo,
  WindowPartialRecord,
  WindowResultQuery,
  WindowResultRecord,
} from "../stores/monitor-store.js";
import type { LoggedPrediction, PredictionLogStore } from "../stores/prediction-log-store.js";
import { applyRules } from "./alert-rules.js";
import { type DeploymentWindowRead, type LogCursor, readDeploymentWindow } from "./deployment-windows.js";
import type { MonitorEvents } from "./monitor-events.js";
import type { LocalMonitorSettings, MonitorConfig } from "./monitor-settings.js";
import { defaultPredictionRows } from "./prediction-rows.js";
import {
  type ProfileSettings,
  profileFromStatistics,
  profiledColumns,
  profileRows,
  type ReferenceProfile,
} from "./reference-profile.js";
import {
  type MonitorReference,
  profileDigest,
  type ReferenceSource,
  recordReferenceLineage,
  referenceModel,
  type SetReferenceOptions,
  sourceKind,
} from "./reference-sources.js";
import { rowHash } from "./row-hash.js";
import { type AggregateState, type ReferenceContext, referenceContext, WindowAggregate } from "./window-aggregate.js";
import { reportFigures, type WindowReport, windowReport } from "./window-report.js";

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

interface LoadedReference {
  version: number;
  model?: MonitorModelRef;
  profile: ReferenceProfile;
}

const MAX_UNSENT = 10_000;

/** A JSON copy with non-finite numbers as null (JSON cannot hold them) and undefined members dropped. */
function jsonObject<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
}

function timeOf(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.floor(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function sameModel(a: MonitorModelRef | undefined, b: MonitorModelRef | undefined): boolean {
  if (!a || !b) return false;
  if (a.versionId !== undefined && b.versionId !== undefined) return a.versionId === b.versionId;
  return a.model === b.model && a.version === b.version;
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
  private references: ReferenceProfileInfo[] = [];
  private readonly loaded = new Map<number, LoadedReference>();
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
    this.flushTimer = setInterval(() => void this.flush().catch(() => undefined), this.local.flushIntervalMs);
    this.flushTimer.unref?.();
    if (this.local.checkIntervalMs !== false) {
      this.checkTimer = setInterval(() => void this.check().catch(() => undefined), this.local.checkIntervalMs);
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
    return this.serial(async () => {
      await this.flushNow();
      await this.refreshReferences();
      try {
        const reports = this.deployment ? await this.closeDeploymentWindows() : await this.closeStreamWindows();
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
    const kind = sourceKind(source);
    const model = referenceModel(options.model);
    const settings: ProfileSettings = {
      sampleSize: this.config.sampleSize,
      maxCategories: this.config.maxCategories,
      ...(this.config.idColumn !== undefined ? { idColumn: this.config.idColumn } : {}),
    };
    const columns = profiledColumns(this.config);
    let profile: ReferenceProfile;
    let described: Record<string, unknown>;
    const lineageInputs: { trainingSetArtifact?: string; featureView?: string } = {};
    if (kind === "rows") {
      const s = source as { rows: ReadonlyArray<Record<string, unknown>>; name?: string };
      profile = profileRows(s.rows, columns, settings);
      described = { kind: "rows", ...(s.name !== undefined ? { name: String(s.name) } : {}) };
    } else if (kind === "trainingSet") {
      const set = (source as { trainingSet: TrainingSet }).trainingSet;
      profile = profileRows(set.rows, columns, settings);
      described = { kind: "training_set", name: set.name, digest: set.digest };
      if (set.artifactId) lineageInputs.trainingSetArtifact = set.artifactId;
    } else if (kind === "statistics") {
      const stats = (source as { statistics: FeatureViewStatistics }).statistics;
      profile = profileFromStatistics(stats, columns, settings);
      described = { kind: "feature_view_statistics", view: stats.view, version: stats.version };
      lineageInputs.featureView = stats.view;
    } else {
      const range = (source as { predictions: { from?: number; to?: number; deployment?: string } }).predictions ?? {};
      const deployment = range.deployment ?? this.deployment;
      if (!deployment) throw invalid(["source", "predictions", "deployment"], "name the deployment whose log to read");
      const rows = await this.logRows(deployment, range.from, range.to);
      profile = profileRows(rows, columns, settings);
      described = {
        kind: "predictions",
        deployment,
        ...(range.from !== undefined ? { from: range.from } : {}),
        ...(range.to !== undefined ? { to: range.to } : {}),
      };
    }
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
    await recordReferenceLineage(this.ctx.lineage, stored, lineageInputs);
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
    const infos = await this.ctx.store.listReferences(this.name);
    const newest = infos[infos.length - 1];
    const changed = newest?.version !== this.references[this.references.length - 1]?.version;
    this.references = infos;
    if (changed || !this.current) {
      const loaded = newest ? await this.load(newest.version) : undefined;
      const target = this.deployment ? await this.referenceFor(this.servingModel) : loaded;
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

  private async load(version: number): Promise<LoadedReference | undefined> {
    const hit = this.loaded.get(version);
    if (hit) return hit;
    const r = await this.ctx.store.getReference(this.name, version);
    if (!r) return undefined;
    const loaded: LoadedReference = {
      version: r.version,
      ...(r.model ? { model: r.model } : {}),
      profile: r.profile as unknown as ReferenceProfile,
    };
    this.loaded.set(version, loaded);
    return loaded;
  }

  /** The reference of a model version (the newest describing it), else the newest reference. */
  private async referenceFor(model: MonitorModelRef | undefined): Promise<LoadedReference | undefined> {
    const match = model ? [...this.references].reverse().find((r) => sameModel(r.model, model)) : undefined;
    const pick = match ?? this.references[this.references.length - 1];
    return pick ? this.load(pick.version) : undefined;
  }

  private async logRows(deployment: string, from?: number, to?: number): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    let pageToken: string | undefined;
    for (;;) {
      const page = await this.ctx.predictions.listPredictions({
        deployment,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        limit: 1_000,
        ...(pageToken ? { pageToken } : {}),
      });
      for (const p of page.predictions) {
        if (p.payload !== "full") continue;
        const got = this.toRows(p);
        if (got) rows.push(...got);
      }
      if (!page.nextPageToken) return rows;
      pageToken = page.nextPageToken;
    }
  }

  private toRows(p: LoggedPrediction): Array<Record<string, unknown>> | undefined {
    try {
      return this.local.toRows ? this.local.toRows(p) : defaultPredictionRows(p, this.config);
    } catch {
      return undefined;
    }
  }

  /** Merges the partials of a window into an aggregate against `reference`. */
  private async mergePartials(window: number, into: WindowAggregate): Promise<number> {
    const partials = await this.ctx.store.listPartials(this.name, window);
    let other = 0;
    for (const p of partials) {
      into.merge(p.data as unknown as AggregateState, p.reference);
      if (p.rows > 0 && p.reference !== into.reference.version) other += p.rows;
    }
    return other;
  }

  /** Stores a closed window's report; when this process closed it, applies the rules and tells. */
  private async finish(
    window: number,
    report: WindowReport,
    reference: LoadedReference | undefined,
  ): Promise<WindowReport | undefined> {
    const figures = reportFigures(report);
    const result: WindowResultRecord = {
      monitor: this.name,
      window,
      start: report.start,
      end: Math.max(report.end, report.start),
      rows: report.rows,
      ...(reference ? { reference: reference.version } : {}),
      ...(report.model ? { model: report.model } : {}),
      figures,
      report: jsonObject(report),
      closedAt: Math.floor(this.ctx.clock.now()),
    };
    const created = await this.ctx.store.createWindowResult(result);
    await this.ctx.store.deletePartials(this.name, window);
    if (!created) return undefined;
    this.ctx.events.emit("monitor.window.closed", {
      monitor: this.name,
      window,
      start: result.start,
      end: result.end,
      rows: result.rows,
      figures,
      ...(result.reference !== undefined ? { reference: result.reference } : {}),
      ...(result.model ? { model: result.model } : {}),
      at: result.closedAt,
    });
    await applyRules(
      {
        store: this.ctx.store,
        events: this.ctx.events,
        clock: this.ctx.clock,
        monitor: this.name,
        config: this.config,
        ...(this.deployment ? { deployment: this.deployment } : {}),
      },
      result,
    );
    this.ctx.onWindow(result);
    return report;
  }

  private async closeStreamWindows(): Promise<WindowReport[]> {
    const { config } = this;
    const now = this.ctx.clock.now();
    const windows = await this.ctx.store.listPartialWindows(this.name);
    const reports: WindowReport[] = [];
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i];
      if (await this.ctx.store.getWindowResult(this.name, w.window)) {
        // Rows that reached the store after their window closed.
        this.stats.lateRows += w.rows;
        await this.ctx.store.deletePartials(this.name, w.window);
        continue;
      }
      let start: number | undefined;
      let end: number | undefined;
      const notes: string[] = [];
      if (config.window.kind === "time") {
        start = w.window * config.window.ms;
        end = start + config.window.ms;
        if (end + config.graceMs > now) break;
      } else {
        const complete = w.rows >= config.window.rows;
        const stale =
          i < windows.length - 1 && now - w.lastAt >= Math.max(config.graceMs, 10 * this.local.flushIntervalMs);
        if (!complete && !stale) break;
        if (!complete)
          notes.push(`closed with ${w.rows} of ${config.window.rows} rows: a writer reserved rows it never wrote`);
      }
      const reference = await this.newestReferenceOf(w.window);
      const agg = new WindowAggregate(config, referenceContext(config, reference?.profile, reference?.version));
      const other = await this.mergePartials(w.window, agg);
      if (other > 0 && agg.rows > config.sampleSize)
        notes.push(`${other} rows were aggregated against another reference: their binned counts are left out`);
      const report = windowReport({
        monitor: this.name,
        config,
        window: w.window,
        start: start ?? (agg.rows ? agg.from : w.firstAt),
        end: end ?? (agg.rows ? agg.to : w.lastAt),
        aggregate: agg,
        ...(reference ? { reference } : {}),
        deployment: false,
        notes,
      });
      const done = await this.finish(w.window, report, reference);
      if (done) reports.push(done);
    }
    return reports;
  }

  /** The reference a stream window is compared with: the newest its partials were aggregated against, else the newest. */
  private async newestReferenceOf(window: number): Promise<LoadedReference | undefined> {
    const partials = await this.ctx.store.listPartials(this.name, window);
    let version: number | undefined;
    for (const p of partials)
      if (p.reference !== undefined && (version === undefined || p.reference > version)) version = p.reference;
    if (version !== undefined) return this.load(version);
    const newest = this.references[this.references.length - 1];
    return newest ? this.load(newest.version) : undefined;
  }

  private async closeDeploymentWindows(): Promise<WindowReport[]> {
    const deployment = this.deployment as string;
    await this.ctx
      .deployment(deployment)
      ?.flush()
      .catch(() => undefined);
    const { config } = this;
    const now = this.ctx.clock.now();
    const reports: WindowReport[] = [];
    const last = (await this.ctx.store.listWindowResults(this.name, { order: "desc", limit: 1 }))[0];
    const read = async (
      reference: LoadedReference | undefined,
      q: { from?: number; to: number; after?: LogCursor; maxRows?: number },
    ) =>
      readDeploymentWindow({
        predictions: this.ctx.predictions,
        deployment,
        config,
        reference: referenceContext(config, reference?.profile, reference?.version),
        ...(this.local.toRows ? { toRows: this.local.toRows } : {}),
        ...q,
      });
    /** Reads a window with the reference of the version serving now, and again when its last row's version has another and the window is past the bound. */
    const readWithReference = async (q: { from?: number; to: number; after?: LogCursor; maxRows?: number }) => {
      let reference = await this.referenceFor(this.servingModel);
      let got: DeploymentWindowRead = await read(reference, q);
      const right = await this.referenceFor(got.lastModel ?? this.servingModel);
      if (right?.version !== reference?.version) {
        reference = right;
        if (got.aggregate.rows > config.sampleSize) got = await read(reference, q);
        else {
          // Every row is in the sample: the report recounts against the right reference.
          const again = new WindowAggregate(config, referenceContext(config, right?.profile, right?.version));
          again.merge(got.aggregate.state(), undefined);
          got = { ...got, aggregate: again };
        }
      }
      if (got.lastModel) this.servingModel = got.lastModel;
      return { got, reference };
    };
    const notesOf = (got: DeploymentWindowRead) => {
      const notes: string[] = [];
      if (got.notKept)
        notes.push(
          `${got.notKept} calls' inputs and outputs were not kept (sampling or size cap): rows cover the others`,
        );
      if (got.unreadable)
        notes.push(`${got.unreadable} calls' payloads could not be read as rows: give the monitor toRows`);
      return notes;
    };

    if (config.window.kind === "time") {
      const ms = config.window.ms;
      const due = (w: number) => (w + 1) * ms + config.graceMs <= now;
      let w = last ? last.window + 1 : Math.floor(this.record.createdAt / ms);
      // Partials of windows already closed (failed calls counted late) are dropped.
      const partialWindows = (await this.ctx.store.listPartialWindows(this.name)).map((p) => p.window);
      for (const pw of partialWindows)
        if (last && pw <= last.window) await this.ctx.store.deletePartials(this.name, pw);
      while (due(w)) {
        // Skip windows without traffic: the next call's window, or the next with failed calls.
        const first = await this.ctx.predictions.listPredictions({ deployment, from: w * ms, limit: 1 });
        const t = first.predictions[0]?.at;
        const next = Math.min(
          t !== undefined ? Math.floor(t / ms) : Number.POSITIVE_INFINITY,
          partialWindows.find((p) => p >= w) ?? Number.POSITIVE_INFINITY,
        );
        if (!Number.isFinite(next) || !due(next)) break;
        w = next;
        const { got, reference } = await readWithReference({ from: w * ms, to: (w + 1) * ms });
        await this.mergePartials(w, got.aggregate);
        const report = windowReport({
          monitor: this.name,
          config,
          window: w,
          start: w * ms,
          end: (w + 1) * ms,
          aggregate: got.aggregate,
          ...(reference ? { reference } : {}),
          ...(got.lastModel ? { model: got.lastModel } : {}),
          deployment: true,
          notes: notesOf(got),
        });
        const done = await this.finish(w, report, reference);
        if (done) reports.push(done);
        w++;
      }
      return reports;
    }

    // Count windows: the log read in order from where the last window stopped.
    let w = last ? last.window + 1 : 0;
    let after = (last?.report as { cursor?: LogCursor } | undefined)?.cursor;
    for (;;) {
      const q = {
        ...(after ? { after } : { from: this.record.createdAt }),
        to: Math.max(0, Math.floor(now - config.graceMs)),
        maxRows: config.window.rows,
      };
      const { got, reference } = await readWithReference(q);
      if (!got.complete || !got.last) break;
      await this.mergePartials(w, got.aggregate);
      const report = windowReport({
        monitor: this.name,
        config,
        window: w,
        start: got.aggregate.from,
        end: got.aggregate.to,
        aggregate: got.aggregate,
        ...(reference ? { reference } : {}),
        ...(got.lastModel ? { model: got.lastModel } : {}),
        deployment: true,
        notes: notesOf(got),
      });
      const done = await this.finish(w, { ...report, cursor: got.last }, reference);
      if (done) reports.push(done);
      after = got.last;
      w++;
    }
    return reports;
  }
}
