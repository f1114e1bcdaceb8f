import type { Clock } from "../core/clock.js";
import { closedError, invalid, isMlcycleError, MlcycleError } from "../core/errors.js";
import type {
  BatchPredictionOptions,
  BatchPredictionResult,
  Deployment,
  DeploymentDescription,
  DeploymentHealth,
  EntityPrediction,
  Prediction,
  PredictOptions,
} from "../serving/deployment-types.js";
import type {
  OnlineExperimentKind,
  OnlineExperimentRecord,
  OnlineExperimentStore,
} from "../stores/online-experiment-store.js";
import { BUCKETS, bucketOf, saltState } from "./bucket-hash.js";
import { checkLayout } from "./bucket-layout.js";
import { BucketRouter } from "./bucket-router.js";
import type { OnlineFeedback } from "./online-types.js";
import type { PendingAggregates } from "./pending-aggregates.js";
import { compareAnswers, type ShadowCompareMode } from "./shadow-compare.js";
import type { ArmCounters } from "./arm-counters.js";

/** The variant name of a shadow's answers in the prediction log and the aggregates. */
export const SHADOW_VARIANT = "shadow";

/** One arm: a variant, the deployment serving it, and its counts (the deployment's observer). */
export interface RoutedArm {
  name: string;
  deployment: Deployment;
  counters: ArmCounters;
}

/** How a shadow gets its copies. */
export interface ShadowSettings {
  deployment: Deployment;
  sample: number;
  timeoutMs: number;
  maxInFlight: number;
  compare: ShadowCompareMode;
}

/** What a {@link RoutedDeployment} is built with (by `ws.online`). */
export interface RoutedParts {
  experiment: string;
  name: string;
  kind: OnlineExperimentKind;
  arms: RoutedArm[];
  shadow?: ShadowSettings;
  record: OnlineExperimentRecord;
  store: OnlineExperimentStore;
  pending: PendingAggregates;
  clock: Clock;
  random: () => number;
  /** Records feedback through the experiment (`ws.online.feedback` for this experiment). */
  feedback(predictionId: string, feedback: OnlineFeedback): Promise<void>;
  /** Re-reads the stored experiment. */
  read(): Promise<OnlineExperimentRecord>;
  onClosed(): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A deployment that routes each call to one variant of an online experiment: the unit (`{ unit }`)
 * is assigned by its hash (sticky across calls, processes and restarts), a call without a unit by a
 * random draw. Each call is answered by that variant's own deployment, so its prediction log row
 * carries the variant; the answer says which variant and experiment served it. Exposures, failures
 * and latency are counted per variant and added to the experiment's aggregates in batches. A shadow
 * experiment copies calls to the shadow after the primary answered.
 *
 * It implements the serving {@link Deployment} contract, so whatever serves a deployment (an HTTP
 * handler) serves it unchanged.
 */
export class RoutedDeployment<I = any, O = any> implements Deployment<I, O> {
  readonly name: string;
  readonly ref: string;
  /** The experiment that routes this deployment's calls. */
  readonly experiment: string;
  private state: "ready" | "closing" | "closed" = "ready";
  private router!: BucketRouter;
  private saltHash = 0;
  private weights: number[] = [];
  private revision = 0;
  private recording = false;
  private epochCalls = 0;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private lastError: string | undefined;
  private shadowInFlight = 0;
  private readonly shadowSalt: number;
  private readonly shadowRuns = new Set<Promise<void>>();

  constructor(private readonly parts: RoutedParts) {
    this.name = parts.name;
    this.experiment = parts.experiment;
    this.ref = `experiment:${parts.experiment}`;
    this.shadowSalt = saltState(`${parts.record.salt}/shadow`);
    this.apply(parts.record);
  }

  /** The kind of experiment routing the calls. */
  get kind(): OnlineExperimentKind {
    return this.parts.kind;
  }

  /** The stored revision the routing follows. */
  get routedRevision(): number {
    return this.revision;
  }

  /**
   * The variant a unit is assigned to now (pure: the same in every process on the same revision).
   *
   * @example
   * ```ts
   * ab.assign("user-42"); // "treatment"
   * ```
   */
  assign(unit: string): string {
    if (typeof unit !== "string") throw invalid(["unit"], "must be a string");
    return this.parts.arms[this.router.armOf(bucketOf(this.saltHash, unit))].name;
  }

  /** True when `variant` is one of the variants taking calls. */
  hasVariant(variant: string): boolean {
    return this.parts.arms.some((a) => a.name === variant);
  }

  /** Each variant's share of traffic now (the shadow's sample share is not one). */
  currentWeights(): Record<string, number> {
    return Object.fromEntries(this.parts.arms.map((a, i) => [a.name, this.weights[i]]));
  }

  /**
   * Follows a stored revision of the experiment: counts so far are set aside under the weights they
   * were routed with, then the new layout takes the calls. An older revision is ignored.
   */
  apply(record: OnlineExperimentRecord): void {
    if (record.revision <= this.revision) return;
    if (this.revision > 0) this.foldCounters();
    const names = new Set(this.parts.arms.map((a) => a.name));
    const layout = checkLayout(record.state.layout, names);
    this.saltHash = saltState(record.salt);
    this.router = new BucketRouter(
      this.saltHash,
      layout,
      this.parts.arms.map((a) => a.name),
    );
    const share = new Map<string, number>();
    for (const [start, end, variant] of layout) share.set(variant, (share.get(variant) ?? 0) + (end - start) / BUCKETS);
    this.weights = this.parts.arms.map((a) => share.get(a.name) ?? 0);
    this.recording = record.status === "running";
    this.revision = record.revision;
  }

  /** Re-reads the stored experiment and follows it (changes made by other processes). */
  async refresh(): Promise<OnlineExperimentRecord> {
    const record = await this.parts.read();
    this.apply(record);
    return record;
  }

  // ---------------------------------------------------------------- calls

  predict(inputs: I, options?: PredictOptions): Promise<Prediction<O>> {
    if (this.state !== "ready") return Promise.reject(closedError(`deployment '${this.name}'`));
    const unit = options?.unit;
    if (unit !== undefined && typeof unit !== "string")
      return Promise.reject(invalid(["predict options", "unit"], "must be a string"));
    const arm = this.parts.arms[this.router.pick(unit, this.parts.random)];
    arm.counters.calls++;
    this.epochCalls++;
    // The unit is ours: the arm gets the other options only (and none on the fast path).
    const passed =
      options === undefined || (options.params === undefined && options.signal === undefined)
        ? undefined
        : {
            ...(options.params ? { params: options.params } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          };
    // The arm's observer counts the call as it ends: no promise step is added here.
    if (this.parts.shadow === undefined) return arm.deployment.predict(inputs, passed);
    this.inFlight++;
    return arm.deployment.predict(inputs, passed).then(
      (p: Prediction<O>) => {
        this.copyToShadow(inputs, p, unit);
        this.settle();
        return p;
      },
      (error: unknown) => {
        this.settle();
        throw error;
      },
    );
  }

  async predictEntities(
    entities: ReadonlyArray<Record<string, unknown>>,
    options: PredictOptions & { values?: ReadonlyArray<Record<string, unknown>> } = {},
  ): Promise<EntityPrediction<O>> {
    if (this.state !== "ready") throw closedError(`deployment '${this.name}'`);
    if (typeof options !== "object" || options === null) throw invalid(["options"], "must be an object");
    const { unit, ...rest } = options;
    if (unit !== undefined && typeof unit !== "string") throw invalid(["predict options", "unit"], "must be a string");
    const arm = this.parts.arms[this.router.pick(unit, this.parts.random)];
    arm.counters.calls++;
    this.epochCalls++;
    return (await arm.deployment.predictEntities(entities, rest)) as EntityPrediction<O>;
  }

  /** Batch scoring is not part of the experiment: it runs on the first variant (control, stable, primary). */
  predictBatch(
    rows: Iterable<unknown> | AsyncIterable<unknown>,
    options?: BatchPredictionOptions<O>,
  ): Promise<BatchPredictionResult> {
    if (this.state !== "ready") return Promise.reject(closedError(`deployment '${this.name}'`));
    return this.parts.arms[0].deployment.predictBatch(rows, options);
  }

  /**
   * Records feedback on a prediction of this experiment: in the prediction log, and its outcome in
   * the variant's aggregates (see `ws.online.feedback`).
   */
  feedback(predictionId: string, feedback: OnlineFeedback): Promise<void> {
    if (this.state === "closed") return Promise.reject(closedError(`deployment '${this.name}'`));
    return this.parts.feedback(predictionId, feedback);
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.idle) this.idle();
  }

  // ---------------------------------------------------------------- shadow

  private copyToShadow(inputs: unknown, primary: Prediction, unit: string | undefined): void {
    const shadow = this.parts.shadow as ShadowSettings;
    if (!this.recording || shadow.sample <= 0) return;
    if (shadow.sample < 1) {
      // By unit when there is one, so a unit's calls are all copied or none are.
      const position = unit === undefined ? this.parts.random() : bucketOf(this.shadowSalt, unit) / BUCKETS;
      if (position >= shadow.sample) return;
    }
    if (this.shadowInFlight >= shadow.maxInFlight) {
      this.parts.pending.addSums(SHADOW_VARIANT, "skipped", { n: 1, sum: 1, sumSquares: 1 });
      return;
    }
    this.shadowInFlight++;
    this.parts.pending.addSums(SHADOW_VARIANT, "exposures", { n: 1, sum: 1, sumSquares: 1 });
    // After the caller's answer: the shadow starts once the current job (the caller's continuation) is done.
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.runShadow(shadow, inputs, primary))
      .finally(() => {
        this.shadowInFlight--;
        this.shadowRuns.delete(run);
      });
    this.shadowRuns.add(run);
  }

  private async runShadow(shadow: ShadowSettings, inputs: unknown, primary: Prediction): Promise<void> {
    const pending = this.parts.pending;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), shadow.timeoutMs);
    try {
      const p = await shadow.deployment.predict(inputs, { signal: abort.signal });
      pending.add(SHADOW_VARIANT, "errors", 0);
      pending.add(SHADOW_VARIANT, "timeouts", 0);
      pending.add(SHADOW_VARIANT, "latency_ms", p.latencyMs);
      const c = compareAnswers(primary.outputs, p.outputs, shadow.compare);
      if (c.agreement) pending.addSums(SHADOW_VARIANT, "agreement", c.agreement);
      if (c.absDiff) pending.addSums(SHADOW_VARIANT, "abs_diff", c.absDiff);
    } catch (error) {
      const timedOut = abort.signal.aborted && isMlcycleError(error, "CANCELLED");
      pending.add(SHADOW_VARIANT, "errors", 1);
      pending.add(SHADOW_VARIANT, "timeouts", timedOut ? 1 : 0);
      if (!timedOut) this.lastError = `shadow: ${messageOf(error)}`;
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- aggregates

  /**
   * Moves the counts since the last fold into the pending aggregates (when the experiment is
   * running): `exposures`, `errors` (1 per failed call, 0 per answered one), `latency_ms` per
   * variant, and `expected_exposures` — the calls of this period times each variant's share — so
   * the sample-ratio check compares with the weights each call was routed under.
   */
  foldCounters(): void {
    const pending = this.parts.pending;
    const calls = this.epochCalls;
    this.parts.arms.forEach((arm, i) => {
      const c = arm.counters;
      if (this.recording) {
        if (c.calls > 0) pending.addSums(arm.name, "exposures", { n: c.calls, sum: c.calls, sumSquares: c.calls });
        const ended = c.done + c.failures;
        if (ended > 0) pending.addSums(arm.name, "errors", { n: ended, sum: c.failures, sumSquares: c.failures });
        if (c.done > 0)
          pending.addSums(arm.name, "latency_ms", { n: c.done, sum: c.latencySum, sumSquares: c.latencySquares });
        if (calls > 0 && this.weights[i] > 0)
          pending.addSums(arm.name, "expected_exposures", { sum: calls * this.weights[i] });
      }
      c.reset();
    });
    this.epochCalls = 0;
  }

  /** Writes the arms' buffered prediction log rows now. */
  async flushLogs(): Promise<void> {
    const arms = this.parts.shadow ? [...this.parts.arms, this.parts.shadow] : this.parts.arms;
    await Promise.all(arms.map((a) => a.deployment.flush()));
  }

  /**
   * Writes buffered log rows and adds the counted exposures and outcomes to the store, after the
   * shadow copies in flight have finished (each within its `timeoutMs`).
   */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.shadowRuns]);
    await this.flushLogs();
    this.foldCounters();
    await this.parts.pending.flush(this.parts.store, this.experiment);
  }

  /** Records an error of a background flush or poll for `health().lastError`. */
  recordError(error: unknown): void {
    this.lastError = messageOf(error);
  }

  // ---------------------------------------------------------------- state

  describe(): DeploymentDescription {
    return { ...this.parts.arms[0].deployment.describe(), name: this.name, ref: this.ref };
  }

  health(): DeploymentHealth {
    const arms = this.parts.arms.map((a) => a.deployment.health());
    const first = arms[0];
    const lastError = this.lastError ?? arms.find((h) => h.lastError !== undefined)?.lastError;
    return {
      ready: this.state === "ready" && arms.every((h) => h.ready),
      state: this.state === "ready" ? first.state : this.state,
      model: first.model,
      version: first.version,
      inFlight: arms.reduce((s, h) => s + h.inFlight, 0),
      served: arms.reduce((s, h) => s + h.served, 0),
      failed: arms.reduce((s, h) => s + h.failed, 0),
      logBacklog: arms.reduce((s, h) => s + h.logBacklog, 0),
      ...(lastError !== undefined ? { lastError } : {}),
    };
  }

  /**
   * Stops taking calls, waits for those in flight, closes the variants' deployments (the shadow's
   * last: its copies finish first), and adds what was counted to the store.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = "closing";
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      const errors: unknown[] = [];
      const closeAll = async (ds: Deployment[]) => {
        for (const r of await Promise.allSettled(ds.map((d) => d.close())))
          if (r.status === "rejected") errors.push(r.reason);
      };
      await closeAll(this.parts.arms.map((a) => a.deployment));
      if (this.parts.shadow) {
        await Promise.allSettled([...this.shadowRuns]);
        await closeAll([this.parts.shadow.deployment]);
      }
      this.foldCounters();
      await this.parts.pending.flush(this.parts.store, this.experiment).catch((e: unknown) => errors.push(e));
      this.state = "closed";
      this.parts.onClosed();
      if (errors.length > 0) {
        const first = errors[0];
        if (first instanceof MlcycleError) throw first;
        throw new MlcycleError("INTERNAL", `closing '${this.name}' failed: ${messageOf(first)}`, { cause: first });
      }
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
