import type { Clock } from "../core/clock.js";
import { invalid, isMlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { checkKey } from "../core/validation.js";
import { checkJsonState } from "./json-state.js";
import { checkGate, type EvaluationResult, evaluate, type GateResult } from "../evaluation/index.js";
import type { EvaluationRecord, RegistryStore } from "../stores/registry-store.js";
import type { RegistryModelLoader } from "./model-loader.js";
import { isVersionId, type ModelRef } from "./model-ref.js";
import type { ModelResolver } from "./model-resolver.js";
import type { RegistryEvents } from "./registry-events.js";
import type { RegistryRunAccess } from "./registry-options.js";
import type {
  EvaluateVersionOptions,
  EvaluateVersionResult,
  RecordEvaluationOptions,
  ResolvedVersion,
} from "./registry-types.js";

/**
 * Evaluations of versions: the evidence alias policies check. Stores evaluation and gate results
 * with a version (and logs them on a tracking run), and runs the "compare with the champion" flow.
 */
export class VersionEvaluations {
  constructor(
    private readonly deps: {
      store: RegistryStore;
      clock: Clock;
      events: EventBus<RegistryEvents>;
      resolver: ModelResolver;
      loader: RegistryModelLoader;
      tracking: Pick<RegistryRunAccess, "logBatch">;
    },
  ) {}

  /** See `ModelRegistry.recordEvaluation`. */
  async record(ref: ModelRef, options: RecordEvaluationOptions): Promise<EvaluationRecord> {
    const { model, version } = await this.deps.resolver.resolve(ref);
    if (!options || (options.gateResult === undefined && options.evaluation === undefined))
      throw invalid(["options"], "recordEvaluation needs a gateResult and/or an evaluation");
    const g = options.gateResult;
    if (g !== undefined && (typeof g !== "object" || typeof g.passed !== "boolean" || typeof g.gate?.name !== "string"))
      throw invalid(["gateResult"], "must be a GateResult from checkGate()");
    if (options.runId !== undefined) checkKey("runId", options.runId);
    const metrics = {
      ...(g?.candidate ?? {}),
      ...((options.evaluation?.metrics as Record<string, number> | undefined) ?? {}),
    };
    const runTags = runTagsOf(`${model.name}@${version.version}`, g);
    // What the run would refuse is refused before anything is stored.
    if (options.runId !== undefined) {
      for (const key of Object.keys(metrics)) checkKey("metric", key);
      for (const key of Object.keys(runTags)) checkKey("tag", key);
    }
    const stored = {
      ...(options.extra ?? {}),
      ...(g ? { gateResult: g } : {}),
      ...(options.evaluation ? { evaluation: options.evaluation } : {}),
      metrics,
    };
    // A bigint, a cycle or a 20,000-deep value in `extra` is VALIDATION here, not a raw TypeError or RangeError.
    if (options.extra !== undefined) checkJsonState("extra", options.extra);
    let result: Record<string, unknown>;
    try {
      result = JSON.parse(JSON.stringify(stored));
    } catch (error) {
      throw invalid(["options"], `must be JSON-serialisable: ${(error as Error).message}`);
    }
    const rec = await this.deps.store.addEvaluation({
      versionId: version.id,
      ...(g ? { gate: g.gate.name, passed: g.passed } : {}),
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      result,
      at: this.deps.clock.now(),
    });
    // Through tracking, so the points share its metric buffer and a finished run stays finished.
    if (options.runId !== undefined) await this.deps.tracking.logBatch(options.runId, { metrics, tags: runTags });
    this.deps.events.emit("model.evaluation.recorded", {
      model: model.name,
      version: version.version,
      versionId: version.id,
      ...(g ? { gate: g.gate.name, passed: g.passed } : {}),
      metrics,
      at: rec.at,
    });
    return rec;
  }

  /** See `ModelRegistry.evaluations`. */
  async list(ref: ModelRef): Promise<EvaluationRecord[]> {
    const { version } = await this.deps.resolver.resolve(ref);
    return this.deps.store.listEvaluations(version.id);
  }

  /** See `ModelRegistry.evaluate`. */
  async evaluate(candidateRef: ModelRef, options: EvaluateVersionOptions): Promise<EvaluateVersionResult> {
    const { resolver } = this.deps;
    if (!options || typeof options !== "object" || !options.data) throw invalid(["data"], "evaluate() needs data");
    if (!Array.isArray(options.data.yTrue)) throw invalid(["data", "yTrue"], "must be an array");
    const cand = await resolver.resolve(candidateRef);
    let base: ResolvedVersion | undefined;
    if (options.baseline !== undefined) {
      const b = options.baseline;
      try {
        base =
          typeof b === "string" && !b.includes("@") && !isVersionId(b)
            ? await resolver.resolve({ model: cand.model.name, alias: b })
            : await resolver.resolve(b);
      } catch (error) {
        // The first model of a pipeline has no champion yet: let the gate decide without a baseline.
        if (!(isMlcycleError(error, "NOT_FOUND") && options.ifBaselineMissing === "skip")) throw error;
      }
    }
    const score = async (m: ResolvedVersion): Promise<EvaluationResult> => {
      const loaded = await this.deps.loader.loadResolved(m, {});
      try {
        const output = await loaded.predict(options.data.inputs);
        const { yPred, probabilities } = (options.toPredictions ?? defaultPredictions)(output);
        return evaluate({
          task: options.task,
          yTrue: options.data.yTrue,
          yPred,
          ...(probabilities !== undefined ? { probabilities } : {}),
          ...(options.labels !== undefined ? { labels: options.labels } : {}),
          ...(options.positiveLabel !== undefined ? { positiveLabel: options.positiveLabel } : {}),
          ...(options.slices !== undefined ? { slices: options.slices, rows: options.rows } : {}),
        });
      } finally {
        await loaded.close();
      }
    };
    const evaluation = await score(cand);
    const baselineEvaluation = base ? await score(base) : undefined;
    const gateResult = checkGate(options.gate, evaluation.metrics, baselineEvaluation?.metrics);
    const record = await this.record(
      { id: cand.version.id },
      {
        gateResult,
        evaluation,
        ...(options.runId !== undefined ? { runId: options.runId } : {}),
        extra: base
          ? {
              baseline: {
                model: base.model.name,
                version: base.version.version,
                versionId: base.version.id,
                metrics: baselineEvaluation?.metrics,
              },
            }
          : {},
      },
    );
    return {
      candidate: await resolver.describeVersion(cand.model, cand.version),
      ...(base ? { baseline: await resolver.describeVersion(base.model, base.version) } : {}),
      evaluation,
      ...(baselineEvaluation ? { baselineEvaluation } : {}),
      gateResult,
      record,
    };
  }
}

/** The tags an evaluation leaves on its run: what was evaluated and, with a gate, its outcome. */
function runTagsOf(evaluated: string, gate: GateResult | undefined): Record<string, string> {
  const tags: Record<string, string> = { "mlcycle.evaluated_model": evaluated };
  if (gate) tags[`mlcycle.gate.${gate.gate.name}`] = gate.passed ? "passed" : "failed";
  return tags;
}

/** Default mapping of a model's output to predictions for `ModelRegistry.evaluate`. */
function defaultPredictions(output: unknown): { yPred: (number | string)[]; probabilities?: number[][] | number[] } {
  const flat = (a: unknown[]): (number | string)[] =>
    a.map((x) => (Array.isArray(x) && x.length === 1 ? x[0] : x)) as (number | string)[];
  if (Array.isArray(output)) return { yPred: flat(output) };
  if (output && typeof output === "object") {
    const o = output as Record<string, unknown>;
    const key = ["label", "labels", "predictions", "prediction", "variable"].find((k) => Array.isArray(o[k]));
    const arrays = Object.keys(o).filter((k) => Array.isArray(o[k]));
    const pick = key ?? (arrays.length === 1 ? arrays[0] : undefined);
    if (pick !== undefined) {
      const probs = Array.isArray(o.probabilities) && pick !== "probabilities" ? o.probabilities : undefined;
      return { yPred: flat(o[pick] as unknown[]), ...(probs ? { probabilities: probs as number[][] } : {}) };
    }
  }
  throw invalid(["toPredictions"], "cannot tell the predictions in the model's output; pass toPredictions");
}
