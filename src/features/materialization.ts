import type { Clock } from "../core/clock.js";
import { closedError, invalid, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import type { FeatureRegistryStore, MaterializationState } from "../stores/feature-registry-store.js";
import type { OfflineStore } from "../stores/offline-store.js";
import type { OnlineStore } from "../stores/online-store.js";
import { throwIfCancelled } from "./cancellation.js";
import type { FeatureEvents } from "./feature-events.js";
import type { MaterializeOptions, MaterializeViewResult } from "./feature-types.js";
import { latestPerKey } from "./ingestion.js";
import type { ResolvedView } from "./rows.js";
import type { SourceContext } from "./sources/feature-source.js";
import type { SourceRowReader } from "./sources/source-rows.js";
import { toEpochMs } from "./timestamps.js";
import { sourceReader } from "./view-rows.js";

/** What a {@link Materializer} is built with. */
export interface MaterializerOptions {
  registry: FeatureRegistryStore;
  /** Read at run time, so a store that is missing fails only the runs that need it. */
  stores: { readonly offline: OfflineStore; readonly online: OnlineStore };
  resolveView: (name: string) => Promise<ResolvedView>;
  events: EventBus<FeatureEvents>;
  clock: Clock;
  /** True once the feature store is closed: a run stops at its next chunk with the closed error. */
  closed?: () => boolean;
  /** What views with a source read it through (default: nothing — SQL sources then have no database). */
  context?: () => SourceContext;
}

/**
 * Copies the latest values per entity from the offline store to the online store, chunk by chunk in
 * key/time order with bounded memory, recording progress after each chunk so an interrupted run is
 * continued by the next call. One run per view at a time in this process.
 */
export class Materializer {
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(private readonly options: MaterializerOptions) {}

  /** Materialises the chosen views (default all): `full` from `start`, `incremental` from each view's `until`. */
  async run(mode: "full" | "incremental", options: MaterializeOptions): Promise<MaterializeViewResult[]> {
    const { clock, registry } = this.options;
    const chunkSize = options.chunkSize ?? 10_000;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw invalid(["chunkSize"], "must be a positive integer");
    const end = options.end === undefined ? clock.now() : toEpochMs(options.end, ["end"]);
    const start = options.start === undefined ? undefined : toEpochMs(options.start, ["start"]);
    if (start !== undefined && start > end)
      throw new MlcycleError(
        "VALIDATION",
        `start: the window (start, end] is empty: start ${new Date(start).toISOString()} is after end ${new Date(end).toISOString()}`,
        {
          issues: [{ code: "too_big", path: ["start"], message: "must not be after end", maximum: end }],
          details: { start, end },
        },
      );
    throwIfCancelled(options.signal, "materialisation");
    const names = options.views ?? (await registry.listFeatureViews()).map((v) => v.name);
    const results: MaterializeViewResult[] = [];
    for (const name of names) {
      const view = await this.options.resolveView(name);
      // One run per view at a time in this process; a second caller waits, then runs its own window.
      while (this.running.has(name)) await this.running.get(name)!.catch(() => undefined);
      const run = this.materializeView(view, mode, start, end, chunkSize, options);
      this.running.set(name, run);
      try {
        results.push(await run);
      } finally {
        this.running.delete(name);
      }
    }
    return results;
  }

  /** Waits for the runs in progress to settle. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  private async materializeView(
    view: ResolvedView,
    mode: "full" | "incremental",
    start: number | undefined,
    end: number,
    chunkSize: number,
    options: MaterializeOptions,
  ): Promise<MaterializeViewResult> {
    const { clock, registry, stores, events } = this.options;
    const name = view.def.name;
    let state = (await registry.getMaterialization(name)) ?? { view: name, updatedAt: clock.now() };
    const result: MaterializeViewResult = {
      view: name,
      rows: 0,
      written: 0,
      until: state.until ?? end,
      resumed: false,
    };
    let chunk = 0;
    const reader = sourceReader(view, this.options.context?.() ?? {});
    const runWindow = async (pending: NonNullable<MaterializationState["pending"]>) => {
      state = { ...state, pending, updatedAt: clock.now() };
      await registry.putMaterialization(state);
      if (reader) {
        await fromSource(reader, pending);
        return;
      }
      const scan = stores.offline.scan(name, {
        ...(pending.start !== undefined ? { after: pending.start } : {}),
        until: pending.end,
        ...(pending.cursor !== undefined ? { cursor: pending.cursor } : {}),
        pageSize: chunkSize,
      });
      let rows = pending.rows;
      for await (const page of scan) {
        if (options.signal?.aborted)
          throw new MlcycleError("CANCELLED", `materialisation of '${name}' was cancelled; the next run continues it`);
        if (this.options.closed?.()) throw closedError();
        result.written += await stores.online.write(name, latestPerKey(page.rows));
        rows += page.rows.length;
        result.rows += page.rows.length;
        state = { ...state, pending: { ...pending, cursor: page.cursor, rows }, updatedAt: clock.now() };
        await registry.putMaterialization(state);
        options.onProgress?.({ view: name, chunk: ++chunk, rows, written: result.written });
      }
      const until = Math.max(state.until ?? Number.NEGATIVE_INFINITY, pending.end);
      state = { view: name, until, updatedAt: clock.now() };
      await registry.putMaterialization(state);
      events.emit("features.materialized", { view: name, rows, until });
    };
    /**
     * A view with a source: its rows read chunk by chunk (the source's order), those in the window
     * kept; the position in the source is the cursor, so a resumed run passes over what was written.
     */
    const fromSource = async (reader: SourceRowReader, pending: NonNullable<MaterializationState["pending"]>) => {
      const skip = /^\d+$/.test(pending.cursor ?? "") ? Number(pending.cursor) : 0;
      let rows = pending.rows;
      const chunks = reader.chunks({ chunkSize, skip, ...(options.signal ? { signal: options.signal } : {}) });
      for await (const part of chunks) {
        if (options.signal?.aborted)
          throw new MlcycleError("CANCELLED", `materialisation of '${name}' was cancelled; the next run continues it`);
        if (this.options.closed?.()) throw closedError();
        const inWindow = part.rows.filter(
          (r) => (pending.start === undefined || r.eventTime > pending.start) && r.eventTime <= pending.end,
        );
        if (inWindow.length > 0) result.written += await stores.online.write(name, latestPerKey(inWindow));
        rows += inWindow.length;
        result.rows += inWindow.length;
        state = { ...state, pending: { ...pending, cursor: String(part.position), rows }, updatedAt: clock.now() };
        await registry.putMaterialization(state);
        options.onProgress?.({ view: name, chunk: ++chunk, rows, written: result.written });
      }
      if (options.signal?.aborted)
        throw new MlcycleError("CANCELLED", `materialisation of '${name}' was cancelled; the next run continues it`);
      const until = Math.max(state.until ?? Number.NEGATIVE_INFINITY, pending.end);
      state = { view: name, until, updatedAt: clock.now() };
      await registry.putMaterialization(state);
      events.emit("features.materialized", { view: name, rows, until });
    };
    let from = mode === "full" ? start : state.until;
    if (state.pending) {
      result.resumed = true;
      const p = state.pending;
      await runWindow(p);
      from = p.end;
    }
    if (from === undefined || end > from)
      await runWindow({ ...(from !== undefined ? { start: from } : {}), end, rows: 0 });
    result.until = state.until ?? end;
    return result;
  }
}
