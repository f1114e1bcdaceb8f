import type { PredictionModelRef } from "../stores/prediction-log-store.js";
import type { DeploymentDescription } from "./deployment-types.js";
import type { ModelSlot } from "./model-slot.js";

/** What one run of a deployment's model(s) gave: the outputs and every version called, in order. */
export interface EngineCall {
  outputs: unknown;
  models: readonly PredictionModelRef[];
}

/** Per-call options an engine's run takes. */
export interface EngineRunOptions {
  params?: Record<string, unknown>;
  signal?: AbortSignal;
}

/**
 * The version(s) one call holds, from the moment it is handed them until {@link EngineLease.release}:
 * a swap in the meantime does not change what this call runs on, and the versions it holds are
 * closed only after it released them.
 */
export interface EngineLease {
  /** Checks inputs against the signature; returns them parsed. */
  validateInputs(inputs: unknown): unknown;
  /**
   * Runs the model(s) on checked inputs. A plain model is invoked before `run` returns (so the
   * version that answers is the one held when the call was made).
   */
  run(inputs: unknown, options: EngineRunOptions): Promise<EngineCall>;
  /** Checks outputs against the output schema (`VALIDATION`). */
  validateOutputs(outputs: unknown): void;
  /** The feature service of the (first) version held, when it was registered with one. */
  readonly featureService: string | undefined;
  /** Every version held (for the lineage of batch predictions). */
  readonly versions: readonly PredictionModelRef[];
  /** The version reported for the whole deployment (a routine's first model). */
  readonly primary: PredictionModelRef;
  release(): void;
}

/** How a deployment runs calls: one model ({@link ModelEngine}) or a composite routine. */
export interface DeploymentEngine {
  /** The reference served, or `routine:<name>`. */
  readonly ref: string;
  /** Whether per-call `params` change what runs (routines): such calls are never micro-batched. */
  readonly usesParams: boolean;
  /** The model slots, each following its reference. */
  readonly slots: readonly ModelSlot[];
  /** The version(s) serving now, held for one call. */
  acquire(): EngineLease;
  describe(): Omit<DeploymentDescription, "name" | "ref">;
}
