import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import type { MonitorModelRef, MonitorStore, WindowResultRecord } from "../stores/monitor-store.js";
import type { LoggedPrediction, PredictionLogStore } from "../stores/prediction-log-store.js";
import { applyRules } from "./alert-rules.js";
import { type DeploymentWindowRead, type LogCursor, readDeploymentWindow } from "./deployment-windows.js";
import type { MonitorEvents } from "./monitor-events.js";
import type { MonitorConfig } from "./monitor-settings.js";
import type { LoadedReference, ReferenceCache } from "./reference-cache.js";
import { reportFigures } from "./report-figures.js";
import { type AggregateState, referenceContext, WindowAggregate } from "./window-aggregate.js";
import { type WindowReport, windowReport } from "./window-report.js";

/**
 * A JSON copy with non-finite numbers as null (JSON cannot hold them; `JSON.stringify` writes them
 * so) and undefined members dropped. No replacer: it would take V8 off its fast path, and the
 * aggregates written every `flushSize` rows are large.
 */
export function jsonObject<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value));
}

/** What a {@link WindowCloser} works with: one monitor's settings, stores and references. */
export interface WindowCloserContext {
  name: string;
  config: MonitorConfig;
  store: MonitorStore;
  predictions: PredictionLogStore;
  events: EventBus<MonitorEvents>;
  clock: Clock;
  references: ReferenceCache;
  /** When the monitor was created: a deployment's first window. */
  createdAt: number;
  /** How often producers write: a count window missing rows this long after its last partial is closed as it is. */
  flushIntervalMs: number;
  toRows?: (p: LoggedPrediction) => Array<Record<string, unknown>>;
  /** The deployment watched, and its log written out first (when it is open in this process). */
  deployment?: string;
  flushDeployment(): Promise<void>;
  /** The model version the deployment serves now, as last heard. */
  servingModel: { get(): MonitorModelRef | undefined; set(model: MonitorModelRef): void };
  /** Rows that reached the store after their window closed. */
  onLate(rows: number): void;
  /** Every window this process closed. */
  onWindow(result: WindowResultRecord): void;
}

/**
 * Closes a monitor's due windows: merges a stream's partials, or reads a deployment's log with its
 * feedback; computes the report against the right reference; stores it (once, whichever process
 * gets there first); and, for the process that stored it, applies the alert rules and tells.
 */
export class WindowCloser {
  constructor(private readonly ctx: WindowCloserContext) {}

  /** Closes every due window; the reports of the windows this call closed. */
  close(): Promise<WindowReport[]> {
    return this.ctx.deployment ? this.closeDeploymentWindows(this.ctx.deployment) : this.closeStreamWindows();
  }

  /** Merges the partials of a window into an aggregate against `reference`. */
  private async mergePartials(window: number, into: WindowAggregate): Promise<number> {
    const partials = await this.ctx.store.listPartials(this.ctx.name, window);
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
      monitor: this.ctx.name,
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
    await this.ctx.store.deletePartials(this.ctx.name, window);
    if (!created) return undefined;
    this.ctx.events.emit("monitor.window.closed", {
      monitor: this.ctx.name,
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
        monitor: this.ctx.name,
        config: this.ctx.config,
        ...(this.ctx.deployment ? { deployment: this.ctx.deployment } : {}),
      },
      result,
    );
    this.ctx.onWindow(result);
    return report;
  }

  private async closeStreamWindows(): Promise<WindowReport[]> {
    const { config } = this.ctx;
    const now = this.ctx.clock.now();
    const windows = await this.ctx.store.listPartialWindows(this.ctx.name);
    const reports: WindowReport[] = [];
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i];
      if (await this.ctx.store.getWindowResult(this.ctx.name, w.window)) {
        // Rows that reached the store after their window closed.
        this.ctx.onLate(w.rows);
        await this.ctx.store.deletePartials(this.ctx.name, w.window);
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
          i < windows.length - 1 && now - w.lastAt >= Math.max(config.graceMs, 10 * this.ctx.flushIntervalMs);
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
        monitor: this.ctx.name,
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
    const partials = await this.ctx.store.listPartials(this.ctx.name, window);
    let version: number | undefined;
    for (const p of partials)
      if (p.reference !== undefined && (version === undefined || p.reference > version)) version = p.reference;
    if (version !== undefined) return this.ctx.references.load(version);
    return this.ctx.references.newest();
  }

  private async closeDeploymentWindows(deployment: string): Promise<WindowReport[]> {
    await this.ctx.flushDeployment().catch(() => undefined);
    const { config } = this.ctx;
    const now = this.ctx.clock.now();
    const reports: WindowReport[] = [];
    const last = (await this.ctx.store.listWindowResults(this.ctx.name, { order: "desc", limit: 1 }))[0];
    const read = async (
      reference: LoadedReference | undefined,
      q: { from?: number; to: number; after?: LogCursor; maxRows?: number },
    ) =>
      readDeploymentWindow({
        predictions: this.ctx.predictions,
        deployment,
        config,
        reference: referenceContext(config, reference?.profile, reference?.version),
        ...(this.ctx.toRows ? { toRows: this.ctx.toRows } : {}),
        ...q,
      });
    /** Reads a window with the reference of the version serving now, and again when its last row's version has another and the window is past the bound. */
    const readWithReference = async (q: { from?: number; to: number; after?: LogCursor; maxRows?: number }) => {
      let reference = await this.ctx.references.forModel(this.ctx.servingModel.get());
      let got: DeploymentWindowRead = await read(reference, q);
      const right = await this.ctx.references.forModel(got.lastModel ?? this.ctx.servingModel.get());
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
      if (got.lastModel) this.ctx.servingModel.set(got.lastModel);
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
      let w = last ? last.window + 1 : Math.floor(this.ctx.createdAt / ms);
      // Partials of windows already closed (failed calls counted late) are dropped.
      const partialWindows = (await this.ctx.store.listPartialWindows(this.ctx.name)).map((p) => p.window);
      for (const pw of partialWindows)
        if (last && pw <= last.window) await this.ctx.store.deletePartials(this.ctx.name, pw);
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
          monitor: this.ctx.name,
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
        ...(after ? { after } : { from: this.ctx.createdAt }),
        // Calls answered up to `graceMs` ago, this millisecond included.
        to: Math.max(0, Math.floor(now - config.graceMs)) + 1,
        maxRows: config.window.rows,
      };
      const { got, reference } = await readWithReference(q);
      if (!got.complete || !got.last) break;
      await this.mergePartials(w, got.aggregate);
      const report = windowReport({
        monitor: this.ctx.name,
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
