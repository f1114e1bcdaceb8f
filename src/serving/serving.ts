import { z } from "zod";
import { closedError, fromZodError, MlcycleError, notFound } from "../core/errors.js";
import { checkName } from "../core/validation.js";
import { type ModelRef, parseModelRef } from "../registry/model-ref.js";
import { ServedDeployment } from "./deployment.js";
import { recordFeedback } from "./feedback.js";
import type { DeploymentEngine } from "./deployment-engine.js";
import type { Deployment, DeployOptions, Feedback } from "./deployment-types.js";
import { ModelEngine } from "./model-engine.js";
import { ModelSlot, type ModelSlotOptions } from "./model-slot.js";
import type { RoutineDeployOptions, RoutineSpec } from "./routine.js";
import { RoutineEngine } from "./routine-engine.js";
import { checkRoutineSpec, type DeploySettings, deploySettings, refName } from "./serving-arguments.js";
import type { ServingOptions } from "./serving-options.js";
import type { LoggedPrediction, PredictionPage, PredictionQuery } from "../stores/prediction-log-store.js";

const object = z.custom<object>((v) => typeof v === "object" && v !== null, { message: "must be an object" });
const servingOptionsSchema = z.object({
  loader: object,
  features: object.optional(),
  predictions: object,
  artifacts: object,
  lineage: object,
  events: object,
  clock: object,
});

/**
 * `ws.serving`: registry versions served in process. A deployment follows an alias (hot swap when
 * it moves, in this process or another on the same store) or serves a fixed version; it validates
 * inputs and outputs against the signature, micro-batches concurrent calls when asked, reads online
 * features for calls made with entity keys, logs every call to the prediction log and takes
 * feedback on it, and predicts over large inputs in chunks. Composite routines (pre-processing,
 * several models, post-processing) are deployments too.
 *
 * @example
 * ```ts
 * const churn = await ws.serving.deploy("churn@champion", { batching: { maxBatchSize: 32 } });
 * const { predictionId, outputs, version } = await churn.predict([[0.7]]);
 * await churn.feedback(predictionId, { label: 1 });
 * await ws.serving.close();                                // or ws.close()
 * ```
 */
export class Serving {
  private readonly deployments = new Map<string, ServedDeployment>();
  /** Names of deployments being opened: a second deploy under one of them is refused at once. */
  private readonly opening = new Set<string>();
  private closing: Promise<void> | undefined;

  /** Built by the workspace (`ws.serving`) with its registry, feature store, stores, events and clock. */
  constructor(private readonly options: ServingOptions) {
    const parsed = servingOptionsSchema.safeParse(options ?? null);
    if (!parsed.success) throw fromZodError(parsed.error, "serving options");
  }

  /**
   * Deploys a registry reference: resolves it, loads the version, warms it with `warmup` when given,
   * and returns once it is ready. An alias (`churn@champion`) is followed: when it moves the new
   * version is loaded and warmed, then takes the calls (`deployment.swapped`); a version
   * (`churn@3`) is served as it is. The name (default: the reference as written) is unique among
   * this workspace's open deployments: `CONFLICT` when it is taken.
   *
   * @example
   * ```ts
   * const d = await ws.serving.deploy<number[][], number[]>("churn@champion", {
   *   name: "churn", warmup: [[0.5]], pollIntervalMs: 10_000, log: { sampleRate: 0.1 },
   * });
   * ```
   */
  async deploy<I = any, O = any>(ref: ModelRef, options: DeployOptions = {}): Promise<Deployment<I, O>> {
    this.live();
    parseModelRef(ref);
    const settings = deploySettings(options);
    const name = checkName("name", options.name ?? refName(ref));
    return this.open(name, settings, async (onError) => {
      const slot = await ModelSlot.open(
        this.slotOptions(name, settings, onError, {
          ref,
          ...(options.warmup !== undefined ? { warmup: options.warmup } : {}),
          ...(options.load ? { load: options.load } : {}),
        }),
      );
      return new ModelEngine(refName(ref), slot);
    }) as Promise<Deployment<I, O>>;
  }

  /**
   * Deploys a composite routine under `name`: pre-processing, several models by reference (each
   * followed and hot-swapped on its own), post-processing, as one deployment. Each prediction
   * records every model version it called in `models`; its `model` and `version` name the last one.
   *
   * @example
   * ```ts
   * const risk = await ws.serving.deployRoutine("risk", {
   *   models: { churn: "churn@champion", fraud: "fraud@3" },
   *   preprocess: (c: { age: number; spend: number }) => [[c.age / 100, c.spend / 1000]],
   *   run: async (rows, { predict }) => ({ churn: await predict("churn", rows), fraud: await predict("fraud", rows) }),
   * });
   * const p = await risk.predict({ age: 42, spend: 310 }); // p.models: churn@…, fraud@3
   * ```
   */
  async deployRoutine<I = any, O = any>(
    name: string,
    spec: RoutineSpec<I, O>,
    options: RoutineDeployOptions = {},
  ): Promise<Deployment<I, O>> {
    this.live();
    checkName("name", name);
    const models = checkRoutineSpec(spec);
    const settings = deploySettings(options, true);
    return this.open(name, settings, async (onError) => {
      const opened = await Promise.allSettled(
        models.map(([step, m]) =>
          ModelSlot.open(
            this.slotOptions(name, settings, onError, {
              ref: m.ref,
              step,
              ...(m.warmup !== undefined ? { warmup: m.warmup } : {}),
              ...(m.load ? { load: m.load } : {}),
            }),
          ),
        ),
      );
      const failure = opened.find((r) => r.status === "rejected");
      if (failure) {
        await Promise.all(opened.map((r) => (r.status === "fulfilled" ? r.value.close() : undefined)));
        throw failure.reason;
      }
      const slots = new Map(models.map(([step], i) => [step, (opened[i] as PromiseFulfilledResult<ModelSlot>).value]));
      return new RoutineEngine(name, spec, slots, settings.validateOutputs);
    }) as Promise<Deployment<I, O>>;
  }

  /** An open deployment by name; `NOT_FOUND` naming the open ones. */
  get<I = any, O = any>(name: string): Deployment<I, O> {
    this.live();
    const d = this.deployments.get(name);
    if (!d)
      throw notFound(
        "deployment",
        String(name),
        this.deployments.size ? `open deployments: ${[...this.deployments.keys()].sort().join(", ")}` : "none is open",
      );
    return d as Deployment<I, O>;
  }

  /** The open deployments, by name. */
  list(): Deployment[] {
    this.live();
    return [...this.deployments.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A logged prediction with its feedback, or undefined (rows still buffered are not seen: `flush()` first). */
  async getPrediction(id: string): Promise<LoggedPrediction | undefined> {
    this.live();
    checkName("id", id);
    return this.options.predictions.getPrediction(id);
  }

  /**
   * Logged predictions (of every deployment writing this workspace's prediction log), oldest first,
   * paged. Rows still buffered by a deployment are not seen: `flush()` it first.
   *
   * @example
   * ```ts
   * const { predictions, nextPageToken } = await ws.serving.listPredictions({ deployment: "churn", withFeedback: true });
   * ```
   */
  async listPredictions(query: PredictionQuery = {}): Promise<PredictionPage> {
    this.live();
    return this.options.predictions.listPredictions(query);
  }

  /**
   * Records feedback for a prediction of any deployment of this workspace, or of another process
   * writing the same prediction log (`NOT_FOUND` for an unknown id). The open deployments' buffered
   * rows are written first, so feedback to a fresh prediction finds it.
   */
  async feedback(predictionId: string, feedback: Feedback): Promise<void> {
    this.live();
    await Promise.all([...this.deployments.values()].map((d) => d.flush()));
    await recordFeedback(this.options.predictions, this.options.clock, predictionId, feedback);
  }

  /**
   * Closes every deployment (each drains its calls, flushes its log and closes its versions); every
   * call after it is `UNAVAILABLE`. The workspace closes serving first.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled([...this.deployments.values()].map((d) => d.close()));
      const failure = results.find((r) => r.status === "rejected");
      if (failure) throw failure.reason;
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async open(
    name: string,
    settings: DeploySettings,
    build: (onError: (error: unknown) => void) => Promise<DeploymentEngine>,
  ): Promise<ServedDeployment> {
    if (this.deployments.has(name) || this.opening.has(name))
      throw new MlcycleError(
        "CONFLICT",
        `a deployment named '${name}' is already open: close it first, or deploy with another { name }`,
        { details: { deployment: name } },
      );
    this.opening.add(name);
    try {
      let deployment: ServedDeployment | undefined;
      const pending: unknown[] = [];
      const onError = (error: unknown) => (deployment ? deployment.recordError(error) : pending.push(error));
      const engine = await build(onError);
      const { features, predictions, artifacts, lineage, events, clock } = this.options;
      deployment = new ServedDeployment({
        name,
        engine,
        settings,
        features,
        predictions,
        artifacts,
        lineage,
        events,
        clock,
        onClosed: () => {
          if (this.deployments.get(name) === deployment) this.deployments.delete(name);
        },
      });
      for (const e of pending) deployment.recordError(e);
      if (this.closing) {
        await deployment.close();
        throw closedError("serving");
      }
      this.deployments.set(name, deployment);
      const primary = engine.slots[0].version.ref;
      events.emit("deployment.ready", {
        deployment: name,
        ref: engine.ref,
        model: primary.model,
        version: primary.version,
        versionId: primary.versionId,
        at: clock.now(),
      });
      return deployment;
    } finally {
      this.opening.delete(name);
    }
  }

  private slotOptions(
    deployment: string,
    settings: DeploySettings,
    onError: (error: unknown) => void,
    model: Pick<ModelSlotOptions, "ref" | "step" | "warmup" | "load">,
  ): ModelSlotOptions {
    const { loader, events, clock } = this.options;
    return {
      ...model,
      deployment,
      loader,
      validateOutputs: settings.validateOutputs,
      events,
      clock,
      pollIntervalMs: settings.pollIntervalMs,
      onError,
    };
  }

  private live(): void {
    if (this.closing) throw closedError("serving");
  }
}
