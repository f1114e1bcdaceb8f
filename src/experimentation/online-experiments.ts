import { closedError, fromZodError, isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import { checkName, checkString } from "../core/validation.js";
import { checkActor } from "../registry/registry-validation.js";
import type {
  NewOnlineExperiment,
  OnlineExperimentEventRecord,
  OnlineExperimentRecord,
  OnlineExperimentStatus,
} from "../stores/online-experiment-store.js";
import { z } from "zod";
import { newBandit, newCanary, newShadow, newSplit } from "./experiment-records.js";
import { readExperiment } from "./experiment-writer.js";
import { type AnalyzeOptions, analyzeAggregates, type OnlineAnalysis } from "./online-analysis.js";
import {
  checkAnalyzeOptions,
  checkBanditOptions,
  checkCanaryOptions,
  checkOpenOptions,
  checkShadowOptions,
  checkSplitOptions,
} from "./online-arguments.js";
import type { OnlineExperimentsOptions } from "./online-options.js";
import type {
  BanditOptions,
  CanaryCheck,
  CanaryOptions,
  OnlineAudit,
  OnlineFeedback,
  OpenOptions,
  OutcomeRecord,
  RoutingOptions,
  ShadowOptions,
  SplitOptions,
  TickResult,
} from "./online-types.js";
import { OutcomeRecorder } from "./online-outcomes.js";
import { OpenExperiments } from "./open-experiments.js";
import { ExperimentControls } from "./experiment-controls.js";
import type { RoutedDeployment } from "./routed-deployment.js";
import { type ShadowReport, shadowReport } from "./shadow-report.js";

const optionsSchema = z.object({
  store: z.custom<object>((v) => typeof v === "object" && v !== null, { message: "must be a store" }),
  serving: z.custom<object>((v) => typeof v === "object" && v !== null, { message: "must be ws.serving" }),
  registry: z.custom<object>((v) => typeof v === "object" && v !== null, { message: "must be ws.registry" }),
  events: z.custom<object>((v) => typeof v === "object" && v !== null, { message: "must be an event bus" }),
  clock: z.custom<object>((v) => typeof (v as { now?: unknown })?.now === "function", { message: "must be a clock" }),
  random: z.custom<() => number>((v) => typeof v === "function").optional(),
  flushIntervalMs: z.number().int().min(1).max(3_600_000).optional(),
});

/**
 * `ws.online`: online experiments on served models — fixed splits, canary ramps with automatic
 * rollback and promotion, shadows and Thompson-sampling bandits — and their analysis.
 *
 * Starting one (`split`, `canary`, `shadow`, `bandit`) stores it (variants, settings, progress under
 * compare-and-set revisions, an audit trail) and returns a routed deployment: a serving
 * `Deployment` whose calls are routed to variants by a hash of the unit (GrowthBook's FNV-1a v2
 * scheme: sticky, the same in every process). Each variant is a deployment of its own, so every
 * prediction log row carries its variant. Exposures, failures, latency and outcomes from feedback
 * are summed per variant in the store, and `analyze` reads those sums: Welch or two-proportion
 * tests with lift intervals, SRM, sequential confidence sequences, Bayesian chance to win, CUPED.
 *
 * @example
 * ```ts
 * const ab = await ws.online.split("churn-ab", {
 *   variants: [{ name: "control", ref: "churn@1", weight: 50 }, { name: "treatment", ref: "churn@2", weight: 50 }],
 * });
 * const p = await ab.predict([[0.7]], { unit: "user-42" }); // p.variant: "control" or "treatment", every time
 * await ab.feedback(p.predictionId, { outcome: 1 });
 * const analysis = await ws.online.analyze("churn-ab", { metric: "outcome", type: "proportion" });
 * ```
 */
export class OnlineExperiments {
  private readonly opened: OpenExperiments;
  private readonly outcomes: OutcomeRecorder;
  private readonly controls: ExperimentControls;
  private readonly random: () => number;
  private readonly flushTimer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  /** Built by the workspace (`ws.online`) with its store, serving, registry, events and clock. */
  constructor(private readonly options: OnlineExperimentsOptions) {
    const parsed = optionsSchema.safeParse(options ?? null);
    if (!parsed.success) throw fromZodError(parsed.error, "online experiment options");
    this.random = options.random ?? Math.random;
    this.outcomes = new OutcomeRecorder({
      store: options.store,
      serving: options.serving,
      random: this.random,
      routed: (name) => this.opened.entries.get(name)?.routed,
    });
    this.opened = new OpenExperiments({
      serving: options.serving,
      store: options.store,
      clock: options.clock,
      random: this.random,
      outcomes: this.outcomes,
      onTick: (name) => void this.controls.scheduledTick(name),
    });
    this.controls = new ExperimentControls({
      options,
      opened: this.opened,
      flushExperiment: (name) => this.flushExperiment(name),
    });
    this.flushTimer = setInterval(
      () => void this.flushAggregates().catch(() => undefined),
      options.flushIntervalMs ?? 1000,
    );
    this.flushTimer.unref?.();
  }

  // ---------------------------------------------------------------- starting

  /**
   * Starts a fixed split: each unit is assigned to a variant by its hash, with shares given by the
   * weights (normalised by their sum); the first variant is the control. Returns its routed
   * deployment. `CONFLICT` when an experiment of this name exists (attach to it with `open`).
   *
   * @example
   * ```ts
   * const ab = await ws.online.split("ranker-ab", {
   *   variants: [{ name: "control", ref: "ranker@champion", weight: 90 }, { name: "new", ref: "ranker@7", weight: 10 }],
   * });
   * ```
   */
  async split<I = any, O = any>(name: string, options: SplitOptions): Promise<RoutedDeployment<I, O>> {
    this.live();
    checkName("name", name);
    const o = checkSplitOptions(options);
    return this.start(name, o, newSplit(name, o, this.now()));
  }

  /**
   * Starts a canary: the candidate gets `steps[0]` % of the units, and each tick checks the rules on
   * the current step's window — a failing rule sends every call back to stable (`rolled_back`, with
   * an audit entry and `online.rolled_back`) — then moves to the next step once it has baked. At
   * the end of the ramp the alias moves to the candidate through `ws.registry.setAlias` (policies
   * and gates apply; a refusal is recorded). The ramp is stored, so a restarted process continues it
   * (`ws.online.open`).
   *
   * @example
   * ```ts
   * const churn = await ws.online.canary("churn-v4", {
   *   stable: "churn@champion", candidate: "churn@4", steps: [5, 25, 50, 100], bakeMs: 600_000,
   *   rules: [{ kind: "error_rate", max: 0.02, minCalls: 200 }, { kind: "latency", maxMeanMs: 50 }],
   * });
   * ```
   */
  async canary<I = any, O = any>(name: string, options: CanaryOptions): Promise<RoutedDeployment<I, O>> {
    this.live();
    checkName("name", name);
    const o = checkCanaryOptions(options);
    return this.start(name, o, newCanary(name, o, checkActor(o.actor), this.now()));
  }

  /**
   * Starts a shadow: the primary answers every call; a sampled share of calls is copied to the
   * shadow after the primary answered. The shadow's answers are logged (variant `shadow`) and
   * compared with the primary's (agreement rate, mean absolute difference: `shadowReport`), never
   * returned; a failing or slow shadow never affects the caller.
   *
   * @example
   * ```ts
   * const scorer = await ws.online.shadow("scorer-shadow", { primary: "scorer@champion", shadow: "scorer@9", sample: 0.2 });
   * ```
   */
  async shadow<I = any, O = any>(name: string, options: ShadowOptions): Promise<RoutedDeployment<I, O>> {
    this.live();
    checkName("name", name);
    const o = checkShadowOptions(options);
    return this.start(name, o, newShadow(name, o, this.now()));
  }

  /**
   * Starts a Thompson-sampling bandit over the arms, with equal weights at first. Rewards come from
   * feedback outcomes (or `record`); once every arm has `minSamples` rewards, each tick after
   * `intervalMs` reweights the arms by their chance of being best (Beta posterior for binary rewards,
   * Normal for continuous ones), every arm keeping at least `floor`.
   *
   * @example
   * ```ts
   * const offers = await ws.online.bandit("offers", {
   *   arms: [{ name: "a", ref: "offer@1" }, { name: "b", ref: "offer@2" }], reward: "binary", intervalMs: 3_600_000,
   * });
   * ```
   */
  async bandit<I = any, O = any>(name: string, options: BanditOptions): Promise<RoutedDeployment<I, O>> {
    this.live();
    checkName("name", name);
    const o = checkBanditOptions(options);
    return this.start(name, o, newBandit(name, o, checkActor(o.actor), this.random, this.now()));
  }

  /**
   * Attaches to a stored experiment (after a restart, or from another process): deploys its variants
   * and routes as stored, continuing a canary's ramp or a bandit's schedule where it is. Options are
   * this process's (variant deployment options, polling and tick intervals, named checks).
   *
   * @example
   * ```ts
   * const churn = await ws.online.open("churn-v4", { checks: { drift: myDriftCheck } });
   * ```
   */
  async open<I = any, O = any>(name: string, options: OpenOptions = {}): Promise<RoutedDeployment<I, O>> {
    this.live();
    checkName("name", name);
    const o = checkOpenOptions(options);
    const record = await readExperiment(this.options.store, name);
    return this.opened.attach(record, o) as Promise<RoutedDeployment<I, O>>;
  }

  private async start<I, O>(
    name: string,
    o: RoutingOptions & OnlineAudit,
    experiment: NewOnlineExperiment,
  ): Promise<RoutedDeployment<I, O>> {
    const { store, registry, events } = this.options;
    this.opened.checkFree(name, experiment.deployment);
    // Every reference must resolve before anything is stored.
    for (const v of experiment.variants) await registry.resolve(v.ref);
    let record: OnlineExperimentRecord;
    try {
      record = await store.createExperiment(experiment);
    } catch (error) {
      if (isMlcycleError(error, "CONFLICT"))
        throw new MlcycleError(
          "CONFLICT",
          `an online experiment named '${name}' already exists: attach to it with ws.online.open("${name}"), or choose another name`,
          { cause: error, details: { experiment: name } },
        );
      throw error;
    }
    let routed: RoutedDeployment;
    try {
      routed = await this.opened.attach(record, o);
    } catch (error) {
      await store.deleteExperiment(name).catch(() => undefined);
      throw error;
    }
    const actor = checkActor(o.actor);
    const at = this.now();
    await store.appendEvent(name, {
      action: "started",
      actor,
      reason: checkString("reason", o.reason ?? "", 8000),
      details: { kind: record.kind, deployment: record.deployment, variants: record.variants, config: record.config },
      at,
    });
    events.emit("online.started", {
      experiment: name,
      kind: record.kind,
      deployment: record.deployment,
      variants: record.variants,
      at,
    });
    return routed as RoutedDeployment<I, O>;
  }

  // ---------------------------------------------------------------- reading

  /** The routed deployment of an experiment open in this workspace; `NOT_FOUND` naming the open ones. */
  get<I = any, O = any>(name: string): RoutedDeployment<I, O> {
    this.live();
    const e = this.opened.entries.get(name);
    if (!e)
      throw notFound(
        "open online experiment",
        String(name),
        this.opened.entries.size
          ? `open here: ${[...this.opened.entries.keys()].sort().join(", ")}`
          : "none is open here (ws.online.open attaches to a stored one)",
      );
    return e.routed as RoutedDeployment<I, O>;
  }

  /** Stored experiments, oldest first, optionally of one deployment and/or status. */
  async list(filter: { deployment?: string; status?: OnlineExperimentStatus } = {}): Promise<OnlineExperimentRecord[]> {
    this.live();
    return this.options.store.listExperiments(filter);
  }

  /** A stored experiment (variants, weights, settings, progress); `NOT_FOUND` when there is none. */
  async describe(name: string): Promise<OnlineExperimentRecord> {
    this.live();
    checkName("name", name);
    return readExperiment(this.options.store, name);
  }

  /** An experiment's audit trail, oldest first: started, weights changed, ramp steps, rollback, promotion… */
  async history(name: string): Promise<OnlineExperimentEventRecord[]> {
    this.live();
    await this.describe(name);
    return this.options.store.listEvents(name);
  }

  // ---------------------------------------------------------------- changing

  /**
   * Changes a split's weights (variants left out keep theirs; 0 takes a variant out of traffic),
   * moving as few units as possible: only units of variants whose share shrank change variant.
   * Audited as `weights_changed`. `PRECONDITION` for another kind (canaries and bandits set their own).
   */
  async setWeights(
    name: string,
    weights: Record<string, number>,
    audit: OnlineAudit = {},
  ): Promise<OnlineExperimentRecord> {
    this.live();
    checkName("name", name);
    return this.controls.setWeights(name, weights, audit);
  }

  /**
   * Runs a canary's or bandit's scheduled check now (open experiments run it every `tickIntervalMs`):
   * counts of this process are written first, then the rules and schedule are checked against the
   * store. Safe from several processes at once: each change is a compare-and-set, made once.
   */
  async tick(name: string): Promise<TickResult> {
    this.live();
    checkName("name", name);
    return this.controls.tick(name);
  }

  /** Rolls a running canary back by hand: every call to stable, `rolled_back`, audited with who and why. */
  async rollback(name: string, audit: OnlineAudit = {}): Promise<OnlineExperimentRecord> {
    this.live();
    checkName("name", name);
    return this.controls.rollback(name, audit);
  }

  /**
   * Promotes a running canary now: moves its alias to the candidate's version (policies and gates
   * apply) and completes it; the way to finish a canary whose promotion was refused, once the
   * approval or gate result is there. A refusal is recorded and rethrown.
   */
  async promote(name: string, audit: OnlineAudit = {}): Promise<TickResult> {
    this.live();
    checkName("name", name);
    return this.controls.promote(name, audit);
  }

  /**
   * Stops a running experiment: it no longer counts exposures or outcomes, and its routed deployment
   * sends every call to the first variant (control, stable, primary). Audited as `stopped`.
   */
  async stop(name: string, audit: OnlineAudit = {}): Promise<OnlineExperimentRecord> {
    this.live();
    checkName("name", name);
    return this.controls.stop(name, audit);
  }

  /**
   * Registers a named canary check for this workspace (monitor rules plug in here): rules
   * `{ kind: "check", name }` of every canary use it unless the canary was given its own under that
   * name. Returns a function that removes it.
   */
  registerCheck(name: string, check: CanaryCheck): () => void {
    return this.controls.registerCheck(name, check);
  }

  // ---------------------------------------------------------------- outcomes

  /**
   * Records feedback on a prediction served through an experiment: the label and outcome go to the
   * prediction log (as `ws.serving.feedback`), and the outcome is added to the variant's aggregates
   * under `metric` (default `outcome`), with its CUPED covariate when given. The variant is the one
   * in the prediction's log row. One outcome counts per prediction: a second is `CONFLICT`.
   * `NOT_FOUND` for an unknown prediction, `PRECONDITION` for one no experiment served.
   *
   * @example
   * ```ts
   * await ws.online.feedback(p.predictionId, { outcome: 1 });               // a conversion
   * await ws.online.feedback(q.predictionId, { outcome: 12.5, covariate: 9.8 }); // revenue, with last month's
   * ```
   */
  async feedback(predictionId: string, feedback: OnlineFeedback): Promise<void> {
    this.live();
    await this.outcomes.feedback(predictionId, feedback);
  }

  /**
   * Records an outcome not tied to one prediction (a purchase measured elsewhere, a unit's revenue):
   * added to the aggregates of the unit's variant (its assignment now) or of the variant given.
   * Buffered and written with the other counts (`flush` writes them now).
   *
   * @example
   * ```ts
   * await ws.online.record("churn-ab", { unit: "user-42", metric: "revenue", value: 19.9 });
   * ```
   */
  async record(name: string, outcome: OutcomeRecord): Promise<void> {
    this.live();
    await this.outcomes.record(name, outcome);
  }

  // ---------------------------------------------------------------- analysis

  /**
   * Analyses a metric of an experiment from its stored aggregates (this process's counts are written
   * first): each variant against the control — Welch's t-test (`mean`) or the two-proportion z-test
   * (`proportion`), intervals of the absolute and relative lift, the sample-ratio-mismatch check,
   * always-valid confidence sequences when `sequential`, the Bayesian chance to beat control and
   * expected loss, CUPED when a covariate was recorded. `formatAnalysis` prints it as a table.
   *
   * @example
   * ```ts
   * const a = await ws.online.analyze("churn-ab", { metric: "outcome", type: "proportion", sequential: true });
   * a.comparisons[0].pValue; a.comparisons[0].bayesian.chanceToBeatControl; a.srm?.mismatch;
   * ```
   */
  async analyze(name: string, options: AnalyzeOptions): Promise<OnlineAnalysis> {
    this.live();
    checkName("name", name);
    const o = checkAnalyzeOptions(options);
    await this.flushExperiment(name);
    const record = await readExperiment(this.options.store, name);
    return analyzeAggregates(record, await this.options.store.getAggregates(name), o);
  }

  /** How a shadow's answers compare with its primary's (agreement, mean absolute difference, failures). */
  async shadowReport(name: string): Promise<ShadowReport> {
    this.live();
    checkName("name", name);
    await this.flushExperiment(name);
    const record = await readExperiment(this.options.store, name);
    if (record.kind !== "shadow")
      throw new MlcycleError("PRECONDITION", `'${name}' is a ${record.kind}, not a shadow`, {
        details: { experiment: name },
      });
    return shadowReport(name, await this.options.store.getAggregates(name));
  }

  // ---------------------------------------------------------------- flushing and closing

  private async flushExperiment(name: string): Promise<void> {
    const open = this.opened.entries.get(name);
    if (open) await open.routed.flush();
    await this.outcomes.pendings.get(name)?.flush(this.options.store, name);
  }

  private async flushAggregates(): Promise<void> {
    for (const e of this.opened.entries.values()) e.routed.foldCounters();
    const results = await Promise.allSettled(
      [...this.outcomes.pendings].map(([name, p]) => p.flush(this.options.store, name)),
    );
    const failure = results.find((r) => r.status === "rejected");
    if (failure) throw failure.reason;
  }

  /** Writes every count and outcome waiting in this process (and the variants' log rows). */
  async flush(): Promise<void> {
    this.live();
    await Promise.all([...this.opened.entries.values()].map((e) => e.routed.flushLogs()));
    await this.flushAggregates();
  }

  /**
   * Closes every routed deployment (each drains its calls and closes its variants) and writes what
   * was counted. The workspace closes `ws.online` before `ws.serving`.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.flushTimer);
      const entries = [...this.opened.entries.values()];
      await Promise.allSettled(entries.map((e) => e.ticking));
      const results = await Promise.allSettled(entries.map((e) => e.routed.close()));
      const flushed = await this.flushAggregates().then(
        () => undefined,
        (e: unknown) => e,
      );
      const failure = results.find((r) => r.status === "rejected");
      if (failure) throw failure.reason;
      if (flushed !== undefined) throw flushed;
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private now(): number {
    return Math.floor(this.options.clock.now());
  }

  private live(): void {
    if (this.closing) throw closedError("ws.online");
  }
}
