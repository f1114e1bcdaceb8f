import { Cron } from "croner";
import { invalid } from "../core/errors.js";
import { newId } from "../core/ids.js";

/**
 * What a trigger does when it fires while the run it started last is still going: `skip` drops the
 * new firing, `queue` starts it once the previous run ends (default `skip`).
 */
export type OverlapPolicy = "skip" | "queue";

/** A started trigger: counts what it did; `stop()` ends it. */
export interface Trigger {
  readonly id: string;
  /** `cron:<pattern>` or `event:<name>`. */
  readonly source: string;
  readonly overlap: OverlapPolicy;
  /** Runs started. */
  readonly started: number;
  /** Firings dropped by the `skip` policy. */
  readonly skipped: number;
  /** Firings waiting under the `queue` policy. */
  readonly queued: number;
  /** Ids of the runs started, oldest first (last 100). */
  readonly runIds: readonly string[];
  /** Errors of runs that could not start (last 10). */
  readonly errors: readonly unknown[];
  /** The next cron firing, or null for event triggers. */
  nextRun(): Date | null;
  /** Resolves when nothing is running or queued. */
  idle(): Promise<void>;
  /** Stops firing (a run in progress goes on). */
  stop(): void;
}

/** Common options of triggers. */
export interface TriggerOptions {
  overlap?: OverlapPolicy;
  /** Most firings waiting under `queue` (default 100); more are skipped. */
  maxQueue?: number;
}

/** Starts one run and resolves when it ends; returns the run id. */
export type StartRun = (trigger: string, payload: unknown) => Promise<{ runId: string; done: Promise<unknown> }>;

class TriggerImpl implements Trigger {
  readonly id = newId();
  started = 0;
  skipped = 0;
  readonly runIds: string[] = [];
  readonly errors: unknown[] = [];
  private running: Promise<void> | undefined;
  private waiting: unknown[] = [];
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  stopHook: () => void = () => undefined;
  nextRunHook: () => Date | null = () => null;

  constructor(
    readonly source: string,
    readonly overlap: OverlapPolicy,
    private readonly maxQueue: number,
    private readonly start: StartRun,
  ) {}

  get queued() {
    return this.waiting.length;
  }

  fire(payload: unknown): void {
    if (this.stopped) return;
    if (this.running) {
      if (this.overlap === "queue" && this.waiting.length < this.maxQueue) this.waiting.push(payload);
      else this.skipped++;
      return;
    }
    this.launch(payload);
  }

  private launch(payload: unknown): void {
    this.running = (async () => {
      try {
        const { runId, done } = await this.start(this.source, payload);
        this.started++;
        this.runIds.push(runId);
        if (this.runIds.length > 100) this.runIds.shift();
        await done.catch(() => undefined);
      } catch (error) {
        this.errors.push(error);
        if (this.errors.length > 10) this.errors.shift();
      }
    })().finally(() => {
      this.running = undefined;
      if (this.waiting.length && !this.stopped) this.launch(this.waiting.shift());
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  nextRun(): Date | null {
    return this.stopped ? null : this.nextRunHook();
  }

  idle(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.waiting = [];
    this.stopHook();
  }
}

/** Starts and stops the triggers of one workspace. */
export class TriggerSet {
  private readonly all = new Set<TriggerImpl>();

  constructor(private readonly on: (event: string, listener: (payload: unknown) => void) => () => void) {}

  /** Fires `start` on a cron pattern (5 fields, or 6 with seconds; croner syntax). */
  cron(pattern: string, start: StartRun, options: TriggerOptions & { timezone?: string } = {}): Trigger {
    const t = this.make(`cron:${pattern}`, start, options);
    let job: Cron;
    try {
      job = new Cron(pattern, { ...(options.timezone ? { timezone: options.timezone } : {}), catch: true }, () =>
        t.fire(undefined),
      );
    } catch (error) {
      this.all.delete(t);
      throw invalid(["cron"], `'${pattern}' is not a valid cron pattern: ${(error as Error).message}`);
    }
    t.stopHook = () => {
      job.stop();
      this.all.delete(t);
    };
    t.nextRunHook = () => job.nextRun();
    return t;
  }

  /** Fires `start` on each workspace event of that name. */
  event(name: string, start: StartRun, options: TriggerOptions & { filter?: (payload: any) => boolean } = {}): Trigger {
    if (typeof name !== "string" || name.length === 0) throw invalid(["event"], "must be an event name");
    const t = this.make(`event:${name}`, start, options);
    const filter = options.filter;
    const off = this.on(name, (payload) => {
      if (!filter || filter(payload)) t.fire(payload ?? null);
    });
    t.stopHook = () => {
      off();
      this.all.delete(t);
    };
    return t;
  }

  /** The live triggers. */
  list(): Trigger[] {
    return [...this.all];
  }

  /** Stops every trigger and waits for the runs they started. */
  async close(): Promise<void> {
    const ts = [...this.all];
    for (const t of ts) t.stop();
    await Promise.all(ts.map((t) => t.idle()));
  }

  private make(source: string, start: StartRun, options: TriggerOptions): TriggerImpl {
    const overlap = options.overlap ?? "skip";
    if (overlap !== "skip" && overlap !== "queue") throw invalid(["overlap"], "must be 'skip' or 'queue'");
    const t = new TriggerImpl(source, overlap, options.maxQueue ?? 100, start);
    this.all.add(t);
    return t;
  }
}

/**
 * Event names a trigger can listen to: any name, with those of the event map `E` suggested (a
 * workspace's pipelines suggest every domain's events).
 */
export type TriggerEventName<E extends object = Record<string, unknown>> = (keyof E & string) | (string & {});
