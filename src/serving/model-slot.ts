import type { Clock } from "../core/clock.js";
import { isMlcycleError, MlcycleError, type MlcycleErrorCode } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import type { ModelLoader } from "../registry/model-loader.js";
import { type ModelRef, type ParsedRef, parseModelRef } from "../registry/model-ref.js";
import type { LoadOptions } from "../registry/registry-types.js";
import { ServedVersion } from "./served-version.js";
import type { ServingEventMap } from "./serving-options.js";

/** What a {@link ModelSlot} is opened with. */
export interface ModelSlotOptions {
  /** The deployment's name, for events. */
  deployment: string;
  /** The reference served. */
  ref: ModelRef;
  /** The routine's name for the model (composite routines). */
  step?: string;
  loader: ModelLoader;
  load?: LoadOptions;
  /** Inputs predicted once by each newly loaded version before it takes calls (none when undefined). */
  warmup?: unknown;
  validateOutputs: boolean;
  events: EventBus<ServingEventMap>;
  clock: Clock;
  /**
   * How often an alias is re-read, in ms; `false`: only `model.alias.moved` events of this process
   * and the moves the loader hears from other processes (`ModelLoader.watchAliasMoves`).
   */
  pollIntervalMs: number | false;
  /** Receives errors of swaps and of closing versions (the deployment's `lastError`). */
  onError(error: unknown): void;
}

/**
 * One model reference of a deployment and the version serving it now. An alias reference is
 * watched — `model.alias.moved` events of this process at once, moves of other processes at once
 * when the loader hears them (`watchAliasMoves`: PostgreSQL's `LISTEN`), and the store every
 * `pollIntervalMs` for moves not heard otherwise — and swapped: the new version is loaded and
 * warmed beside the old one, then takes every new call; calls holding the old version finish on it,
 * and it is closed when they have drained. Swaps run one at a time; a failed one keeps the old
 * version serving. A fixed version (`churn@3`) is never swapped.
 */
export class ModelSlot {
  private current: ServedVersion;
  private readonly parsed: ParsedRef;
  private chain: Promise<void> = Promise.resolve();
  /** A check waiting behind the one running: further requests join it. */
  private queued: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Stops hearing other processes' moves (see {@link ModelLoader.watchAliasMoves}). */
  private unwatchRemote: (() => Promise<void>) | undefined;
  /** Set once the slot watches: a move heard from another process then refreshes it. */
  private onRemoteMove: ((move: { model: string; alias: string; to?: number }) => void) | undefined;
  private unwatching: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private lastFailure: string | undefined;
  private stopped = false;

  private constructor(
    private readonly options: ModelSlotOptions,
    first: ServedVersion,
  ) {
    this.parsed = parseModelRef(options.ref);
    this.current = first;
  }

  /** Resolves the reference, loads and warms the version; `NOT_FOUND`, `VALIDATION`… as the loader says. */
  static async open(options: ModelSlotOptions): Promise<ModelSlot> {
    const parsed = parseModelRef(options.ref);
    // A move made while the first version loads is noted, and checked once the slot is watching.
    let movedMeanwhile = false;
    let slot: ModelSlot | undefined;
    const follows = (e: { model: string; alias: string }) =>
      parsed.kind === "alias" && e.model === parsed.model && e.alias === parsed.alias;
    const off =
      parsed.kind === "alias"
        ? options.events.on("model.alias.moved", (e) => {
            if (follows(e)) movedMeanwhile = true;
          })
        : undefined;
    // Other processes' moves are heard from before the alias is first read, so none falls between.
    const unwatchRemote =
      parsed.kind === "alias"
        ? await watchRemote(options, (move) => {
            if (!follows(move)) return;
            if (slot?.onRemoteMove) slot.onRemoteMove(move);
            else movedMeanwhile = true;
          })
        : undefined;
    try {
      const { version } = await options.loader.resolve(options.ref);
      const first = await loadVersion(options, version.id);
      slot = new ModelSlot(options, first);
      slot.unwatchRemote = unwatchRemote;
      if (parsed.kind === "alias") slot.watch();
      if (movedMeanwhile) void slot.refresh();
      return slot;
    } catch (error) {
      await unwatchRemote?.().catch(() => undefined);
      throw error;
    } finally {
      off?.();
    }
  }

  /** The version taking calls now. */
  get version(): ServedVersion {
    return this.current;
  }

  /** Whether the slot follows an alias. */
  get follows(): { model: string; alias: string } | undefined {
    return this.parsed.kind === "alias" ? { model: this.parsed.model, alias: this.parsed.alias } : undefined;
  }

  /** The version serving now, with a reference taken for one call (release it when the call is done). */
  acquire(): ServedVersion {
    return this.current.acquire();
  }

  /**
   * Re-reads the alias and swaps when it points elsewhere. Checks run one at a time; a request made
   * while one runs is served by the next check (requests made meanwhile share it). Never rejects:
   * a failure is reported by `deployment.swap_failed` and `onError`.
   */
  refresh(): Promise<void> {
    if (this.parsed.kind !== "alias" || this.stopped) return Promise.resolve();
    if (this.queued) return this.queued;
    const next = this.chain.then(() => {
      if (this.queued === next) this.queued = undefined;
      return this.check();
    });
    this.queued = next;
    this.chain = next;
    return next;
  }

  private watch(): void {
    const follows = this.follows;
    if (!follows) return;
    const moved = (e: { model: string; alias: string; to?: number }) => {
      if (e.model !== follows.model || e.alias !== follows.alias) return;
      if (e.to !== undefined && e.to === this.current.ref.version) return;
      void this.refresh();
    };
    this.unsubscribe = this.options.events.on("model.alias.moved", moved);
    this.onRemoteMove = moved;
    const every = this.options.pollIntervalMs;
    if (every !== false) {
      this.timer = setInterval(() => void this.refresh(), every);
      this.timer.unref?.();
    }
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    const { deployment, loader, events, clock, step } = this.options;
    const follows = this.follows as { model: string; alias: string };
    let target: number | undefined;
    try {
      const { version } = await loader.resolve(this.options.ref);
      target = version.version;
      if (version.id === this.current.ref.versionId || this.stopped) {
        this.lastFailure = undefined;
        return;
      }
      const next = await loadVersion(this.options, version.id);
      if (this.stopped) {
        await next.retire();
        return;
      }
      const old = this.current;
      // From here every new call gets the new version; calls holding the old one finish on it.
      this.current = next;
      this.lastFailure = undefined;
      events.emit("deployment.swapped", {
        deployment,
        model: follows.model,
        alias: follows.alias,
        ...(step ? { step } : {}),
        from: old.ref.version,
        to: next.ref.version,
        fromVersionId: old.ref.versionId,
        toVersionId: next.ref.versionId,
        at: clock.now(),
      });
      const retired = old.retire();
      this.retiring.add(retired);
      void retired.finally(() => this.retiring.delete(retired));
    } catch (error) {
      this.options.onError(error);
      const message = error instanceof Error ? error.message : String(error);
      // A lasting failure (a deleted alias, a version that cannot load) is reported once, not at every poll.
      if (message === this.lastFailure) return;
      this.lastFailure = message;
      events.emit("deployment.swap_failed", {
        deployment,
        model: follows.model,
        alias: follows.alias,
        ...(step ? { step } : {}),
        current: this.current.ref.version,
        ...(target !== undefined ? { target } : {}),
        code: codeOf(error),
        error: message,
        at: clock.now(),
      });
    }
  }

  /** Stops following the alias (no more swaps); the version keeps serving until {@link ModelSlot.close}. */
  stopWatching(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.onRemoteMove = undefined;
    const unwatch = this.unwatchRemote;
    this.unwatchRemote = undefined;
    if (unwatch) this.unwatching = unwatch().catch((error: unknown) => this.options.onError(error));
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops watching, waits for a swap in progress, and closes every version once its calls have drained. */
  async close(): Promise<void> {
    this.stopWatching();
    await this.unwatching;
    await this.chain;
    await Promise.all([this.current.retire(), ...this.retiring]);
  }
}

/**
 * Hears alias moves of other processes through the loader, when it can; a loader that cannot, or a
 * subscription that fails (reported to `onError`), leaves polling to see them.
 */
async function watchRemote(
  options: ModelSlotOptions,
  listener: (move: { model: string; alias: string; to?: number }) => void,
): Promise<(() => Promise<void>) | undefined> {
  if (!options.loader.watchAliasMoves) return undefined;
  try {
    return await options.loader.watchAliasMoves(listener);
  } catch (error) {
    options.onError(error);
    return undefined;
  }
}

async function loadVersion(options: ModelSlotOptions, versionId: string): Promise<ServedVersion> {
  const model = await options.loader.load({ id: versionId }, options.load);
  const served = new ServedVersion(model, {
    ...(options.step ? { step: options.step } : {}),
    validateOutputs: options.validateOutputs,
    onCloseError: options.onError,
  });
  if (options.warmup === undefined) return served;
  try {
    // Warm through the same path calls take: inputs checked, the predictor run, outputs checked.
    const outputs = await model.predictor.predict(model.validateInputs(options.warmup));
    served.validateOutputs(outputs);
  } catch (error) {
    await served.retire();
    if (isMlcycleError(error)) throw error;
    throw new MlcycleError(
      "INTERNAL",
      `warming up ${model.ref} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return served;
}

function codeOf(error: unknown): MlcycleErrorCode {
  return isMlcycleError(error) ? error.code : "INTERNAL";
}
