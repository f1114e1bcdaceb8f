import type { Clock } from "../core/clock.js";
import { closedError, invalid, isMlcycleError, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import type { PredictionLogStore, PredictionModelRef } from "../stores/prediction-log-store.js";
import { runBatchPrediction } from "./batch-prediction.js";
import type { DeploymentEngine, EngineCall, EngineLease, EngineRunOptions } from "./deployment-engine.js";
import type {
  BatchPredictionOptions,
  BatchPredictionResult,
  Deployment,
  DeploymentDescription,
  DeploymentHealth,
  EntityPrediction,
  Feedback,
  Prediction,
  PredictOptions,
} from "./deployment-types.js";
import { entityInputs, noFeatureService, readEntityFeatures } from "./entity-features.js";
import { recordFeedback } from "./feedback.js";
import { type BatchedCall, MicroBatcher } from "./micro-batcher.js";
import { PredictionLogger } from "./prediction-logger.js";
import { mergeRows, rowShape, splitRows } from "./row-batches.js";
import { checkBatchPredictionOptions, checkPredictOptions, type DeploySettings } from "./serving-arguments.js";
import type { ServingEventMap, ServingFeatures, ServingLineage } from "./serving-options.js";
import type { ArtifactStore } from "../stores/artifact-store.js";

/** What a {@link ServedDeployment} is built with (by `ws.serving`). */
export interface DeploymentParts {
  name: string;
  engine: DeploymentEngine;
  settings: DeploySettings;
  features: ServingFeatures | undefined;
  predictions: PredictionLogStore;
  artifacts: ArtifactStore;
  lineage: ServingLineage;
  events: EventBus<ServingEventMap>;
  clock: Clock;
  /** Called once the deployment is closed (its name is free again). */
  onClosed(): void;
}

/** A call's answer before it is logged: the outputs, the versions called, the input rows. */
interface Answer {
  outputs: unknown;
  models: readonly PredictionModelRef[];
  rows: number;
}

const NO_OPTIONS: EngineRunOptions = Object.freeze({});

function rowsOf(inputs: unknown): number {
  return rowShape(inputs)?.rows ?? 1;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A deployment (see {@link Deployment}): the calls go through its engine (one model, or a composite
 * routine), optionally micro-batched; each answered call gets a prediction id and a row in the
 * prediction log; a failed call is counted, never logged.
 */
export class ServedDeployment<I = any, O = any> implements Deployment<I, O> {
  readonly name: string;
  readonly ref: string;
  private state: "ready" | "closing" | "closed" = "ready";
  private inFlight = 0;
  private served = 0;
  private failed = 0;
  private lastError: string | undefined;
  private idle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly batchRuns = new Set<Promise<unknown>>();
  private readonly batcher: MicroBatcher<Answer> | undefined;
  private readonly logger: PredictionLogger;

  constructor(private readonly parts: DeploymentParts) {
    this.name = parts.name;
    this.ref = parts.engine.ref;
    const { settings } = parts;
    if (settings.batching) this.batcher = new MicroBatcher<Answer>(settings.batching, (calls) => this.runBatch(calls));
    this.logger = new PredictionLogger({
      store: parts.predictions,
      deployment: parts.name,
      ...(settings.variant !== undefined ? { variant: settings.variant } : {}),
      clock: parts.clock,
      settings: settings.log,
      onError: (error, backlog, dropped) => {
        this.recordError(error);
        parts.events.emit("deployment.log_failed", {
          deployment: parts.name,
          code: isMlcycleError(error) ? error.code : "INTERNAL",
          error: messageOf(error),
          backlog,
          dropped,
          at: parts.clock.now(),
        });
      },
    });
  }

  /** Keeps the latest error of a swap, a close or the log writer for `health().lastError`. */
  recordError(error: unknown): void {
    this.lastError = messageOf(error);
  }

  // ---------------------------------------------------------------- calls

  predict(inputs: I, options?: PredictOptions): Promise<Prediction<O>> {
    if (this.state !== "ready") return Promise.reject(this.closedError());
    const started = performance.now();
    this.inFlight++;
    let answer: Promise<Answer>;
    try {
      if (options !== undefined) checkPredictOptions(options);
      answer = this.answer(inputs, options);
      if (options?.signal) answer = untilAborted(answer, options.signal);
    } catch (error) {
      answer = Promise.reject(error);
    }
    return answer.then(
      (a) => this.answered(a, inputs, started),
      (error) => this.failedCall(error),
    );
  }

  async predictEntities(
    entities: ReadonlyArray<Record<string, unknown>>,
    options: PredictOptions & { values?: ReadonlyArray<Record<string, unknown>> } = {},
  ): Promise<EntityPrediction<O>> {
    if (this.state !== "ready") throw this.closedError();
    const started = performance.now();
    this.inFlight++;
    // The version is held from here: the feature service read is the one of the version that answers.
    const lease = this.parts.engine.acquire();
    let answer: Answer;
    let inputs: unknown;
    let features: EntityPrediction["features"];
    try {
      if (typeof options !== "object" || options === null) throw invalid(["options"], "must be an object");
      const { values, ...rest } = options;
      if (Object.keys(rest).length > 0) checkPredictOptions(rest);
      const store = this.parts.features;
      if (!store)
        throw new MlcycleError("PRECONDITION", "this workspace's serving has no feature store to read features from");
      const service = this.parts.settings.features?.service ?? lease.featureService;
      if (!service) throw noFeatureService(`${lease.primary.model}@${lease.primary.version}`);
      features = await readEntityFeatures(store, service, entities, values);
      inputs = entityInputs(features, this.parts.settings.features);
      let running = this.runHeld(lease, inputs, rest);
      if (rest.signal) running = untilAborted(running, rest.signal);
      answer = await running;
    } catch (error) {
      lease.release();
      return this.failedCall(error);
    }
    lease.release();
    return { ...this.answered(answer, inputs, started), features };
  }

  /** Runs a call now or queues it in a micro-batch. */
  private answer(inputs: unknown, options: PredictOptions | undefined): Promise<Answer> {
    if (this.batcher && !(options?.params && this.parts.engine.usesParams)) {
      const queued = this.batcher.submit(inputs);
      if (queued) return queued;
    }
    return this.runAlone(inputs, options);
  }

  /** Runs one call on the version(s) serving now, held until it is answered. */
  private runAlone(inputs: unknown, options: PredictOptions | undefined): Promise<Answer> {
    const lease = this.parts.engine.acquire();
    let running: Promise<EngineCall>;
    try {
      running = lease.run(lease.validateInputs(inputs), options ?? NO_OPTIONS);
    } catch (error) {
      lease.release();
      return Promise.reject(error);
    }
    return running.then(
      (call) => {
        lease.release();
        lease.validateOutputs(call.outputs);
        return { outputs: call.outputs, models: call.models, rows: rowsOf(inputs) };
      },
      (error) => {
        lease.release();
        throw error;
      },
    );
  }

  /** One call on held versions: inputs checked, the model invoked at once, outputs checked. */
  private runHeld(lease: EngineLease, inputs: unknown, options: EngineRunOptions | undefined): Promise<Answer> {
    const checked = lease.validateInputs(inputs);
    return lease.run(checked, options ?? {}).then((call: EngineCall) => {
      lease.validateOutputs(call.outputs);
      return { outputs: call.outputs, models: call.models, rows: rowsOf(inputs) };
    });
  }

  /** Runs the calls of one micro-batch as one model call; each caller gets its own rows back. */
  private runBatch(calls: BatchedCall<Answer>[]): void {
    const lease = this.parts.engine.acquire();
    const ready: Array<{ call: BatchedCall<Answer>; checked: unknown }> = [];
    for (const call of calls) {
      try {
        const checked = lease.validateInputs(call.inputs);
        const shape = rowShape(checked);
        // A schema that reshapes inputs (a transform) leaves the call out of the merged batch.
        if (!shape || shape.key !== call.shape.key || shape.rows !== call.shape.rows) {
          this.runAlone(call.inputs, undefined).then(call.resolve, call.reject);
          continue;
        }
        ready.push({ call, checked });
      } catch (error) {
        call.reject(error);
      }
    }
    if (ready.length === 0) {
      lease.release();
      return;
    }
    let running: Promise<EngineCall>;
    try {
      running = lease.run(ready.length === 1 ? ready[0].checked : mergeRows(ready.map((r) => r.checked)), {});
    } catch (error) {
      lease.release();
      for (const r of ready) r.call.reject(error);
      return;
    }
    running.then(
      ({ outputs, models }) => {
        lease.release();
        let parts: unknown[];
        try {
          parts =
            ready.length === 1
              ? [outputs]
              : splitRows(
                  outputs,
                  ready.map((r) => r.call.shape.rows),
                  `${models[models.length - 1]?.model}@${models[models.length - 1]?.version}`,
                );
        } catch (error) {
          for (const r of ready) r.call.reject(error);
          return;
        }
        ready.forEach((r, i) => {
          try {
            lease.validateOutputs(parts[i]);
            r.call.resolve({ outputs: parts[i], models, rows: r.call.shape.rows });
          } catch (error) {
            r.call.reject(error);
          }
        });
      },
      (error) => {
        lease.release();
        for (const r of ready) r.call.reject(error);
      },
    );
  }

  private answered(a: Answer, inputs: unknown, started: number): Prediction<O> {
    const latencyMs = performance.now() - started;
    const at = Math.floor(this.parts.clock.now());
    const predictionId = newId();
    const answering = a.models[a.models.length - 1] as PredictionModelRef;
    this.logger.log({
      id: predictionId,
      model: answering,
      models: a.models as PredictionModelRef[],
      rows: a.rows,
      inputs,
      outputs: a.outputs,
      latencyMs,
      at,
    });
    this.served++;
    this.settle();
    const { variant, observer } = this.parts.settings;
    const models = a.models as PredictionModelRef[];
    // Two literals rather than a spread: a spread literal takes V8's slow path on every call.
    const prediction: Prediction<O> =
      variant === undefined
        ? {
            predictionId,
            outputs: a.outputs as O,
            model: answering.model,
            version: answering.version,
            models,
            latencyMs,
          }
        : {
            predictionId,
            outputs: a.outputs as O,
            model: answering.model,
            version: answering.version,
            models,
            variant,
            latencyMs,
          };
    if (observer?.answered) {
      try {
        observer.answered(prediction);
      } catch {
        // An observer never fails a call.
      }
    }
    return prediction;
  }

  private failedCall(error: unknown): never {
    this.failed++;
    const observer = this.parts.settings.observer;
    if (observer?.failed) {
      try {
        observer.failed(error);
      } catch {
        // An observer never changes the error a caller gets.
      }
    }
    this.settle();
    throw error;
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.idle) this.idle();
  }

  // ---------------------------------------------------------------- batch prediction

  async predictBatch(
    rows: Iterable<unknown> | AsyncIterable<unknown>,
    options: BatchPredictionOptions<O> = {},
  ): Promise<BatchPredictionResult> {
    if (this.state !== "ready") throw this.closedError();
    checkBatchPredictionOptions(options);
    const lease = this.parts.engine.acquire();
    const { artifacts, lineage, events, clock } = this.parts;
    const run = runBatchPrediction(
      {
        deployment: this.name,
        lease,
        artifacts,
        lineage,
        events,
        clock,
        checkOpen: () => {
          if (this.state !== "ready") throw this.closedError();
        },
      },
      rows,
      options,
    ).finally(() => lease.release());
    this.batchRuns.add(run);
    try {
      return await run;
    } finally {
      this.batchRuns.delete(run);
    }
  }

  // ---------------------------------------------------------------- log and feedback

  async feedback(predictionId: string, feedback: Feedback): Promise<void> {
    if (this.state === "closed") throw this.closedError();
    // Rows still in the buffer are written first, so feedback to a fresh prediction finds it.
    await this.logger.flush();
    await recordFeedback(this.parts.predictions, this.parts.clock, predictionId, feedback);
  }

  flush(): Promise<void> {
    return this.logger.flush();
  }

  // ---------------------------------------------------------------- state

  describe(): DeploymentDescription {
    return { name: this.name, ref: this.ref, ...this.parts.engine.describe() };
  }

  health(): DeploymentHealth {
    const primary = this.parts.engine.slots[0].version.ref;
    return {
      ready: this.state === "ready",
      state: this.state,
      model: primary.model,
      version: primary.version,
      inFlight: this.inFlight,
      served: this.served,
      failed: this.failed,
      logBacklog: this.logger.backlog,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /**
   * Stops taking calls (they get `UNAVAILABLE`) and following aliases, runs the micro-batches
   * waiting, waits for the calls in flight (batch predictions stop at their next chunk), closes the
   * versions, flushes the log. Throws when log rows could not be written, after releasing the rest.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = "closing";
      for (const slot of this.parts.engine.slots) slot.stopWatching();
      this.batcher?.flushAll();
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await Promise.allSettled([...this.batchRuns]);
      await Promise.all(this.parts.engine.slots.map((s) => s.close()));
      let failure: unknown;
      await this.logger.close().catch((error: unknown) => {
        failure = error;
        this.recordError(error);
      });
      this.state = "closed";
      this.parts.events.emit("deployment.closed", {
        deployment: this.name,
        served: this.served,
        failed: this.failed,
        at: this.parts.clock.now(),
      });
      this.parts.onClosed();
      if (failure !== undefined)
        throw new MlcycleError(
          "UNAVAILABLE",
          `deployment '${this.name}' closed, but ${this.logger.backlog} prediction log rows could not be written: ${messageOf(failure)}`,
          { cause: failure },
        );
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private closedError(): MlcycleError {
    return closedError(`deployment '${this.name}'`);
  }
}

/** The answer, or `CANCELLED` as soon as the signal aborts (the call itself goes on and is released when done). */
function untilAborted<T>(answer: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new MlcycleError("CANCELLED", "the call was aborted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new MlcycleError("CANCELLED", "the call was aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    answer.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
