import type { ModelRef } from "../registry/model-ref.js";
import type { LoadOptions } from "../registry/registry-types.js";
import type { ModelSignature } from "../registry/signature.js";
import type { DeployOptions } from "./deployment-types.js";

/** One model of a routine, with the settings of its own loading. */
export interface RoutineModel {
  /** The reference served: an alias follows its moves (hot swap), a version stays. */
  ref: ModelRef;
  /** Inputs predicted once by each newly loaded version of this model before it takes calls. */
  warmup?: unknown;
  /** Passed to the registry's `load`. */
  load?: LoadOptions;
}

/** What the functions of a routine get besides their data. */
export interface RoutineContext {
  /**
   * Calls one of the routine's models by its name in `models`: inputs checked against that
   * version's signature, outputs against its output schema. Each call is recorded in the
   * prediction's `models`, in call order.
   */
  predict<O = any>(model: string, inputs: unknown): Promise<O>;
  /** The call's `params` (empty when none were given). */
  params: Record<string, unknown>;
  /** The call's abort signal, when it has one. */
  signal?: AbortSignal;
}

/**
 * A composite routine served as one deployment: pre-processing, several models (each named here,
 * each following its own reference and hot-swapped on its own), post-processing. A call runs
 * `preprocess`, then `run` (default: the models in the order of `models`, each one's outputs the
 * next one's inputs), then `postprocess`. Every call must call at least one model.
 *
 * @example
 * ```ts
 * const spec: RoutineSpec<{ text: string }, { spam: boolean }> = {
 *   models: { embed: "embedder@champion", classify: "spam@champion" },
 *   preprocess: ({ text }) => [[text.toLowerCase()]],
 *   postprocess: (labels: number[]) => ({ spam: labels[0] === 1 }),
 * };
 * ```
 */
export interface RoutineSpec<I = any, O = any> {
  /** The models, by the name the routine calls them (at least one). */
  models: Record<string, ModelRef | RoutineModel>;
  /** Turns the call's inputs into what `run` takes (default: unchanged). */
  preprocess?(inputs: I, context: RoutineContext): unknown;
  /** Calls the models (default: each in the order of `models`, chained). */
  run?(inputs: any, context: RoutineContext): unknown;
  /** Turns what `run` gave into the call's outputs (default: unchanged). */
  postprocess?(outputs: any, context: RoutineContext): O | Promise<O>;
  /** What the routine takes and returns, checked on every call (zod or JSON Schema). */
  signature?: ModelSignature;
}

/**
 * Options of `ws.serving.deployRoutine`: those of a deployment but the ones that belong to each
 * model (`warmup`, `load`: see {@link RoutineModel}) and the name (given separately).
 */
export type RoutineDeployOptions = Omit<DeployOptions, "name" | "warmup" | "load">;
