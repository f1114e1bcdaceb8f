import type {
  EvaluationOptions,
  EvaluationResult,
  Gate,
  GateResult,
  SlicedEvaluationResult,
} from "../evaluation/index.js";
import type { Predictor } from "../stores/model-flavor.js";
import type {
  AliasEventRecord,
  EvaluationRecord,
  ModelVersionRecord,
  RegisteredModelRecord,
} from "../stores/registry-store.js";
import type { JsonModelClass } from "./flavors/json-flavor.js";
import type { ModelRef } from "./model-ref.js";
import type { ModelSignature } from "./signature.js";

/** A registered model with where its aliases point and its highest version number. */
export interface RegisteredModel extends RegisteredModelRecord {
  /** Alias → version number. */
  aliases: Record<string, number>;
  /** Highest version number, when there is a version. */
  latestVersion?: number;
}

/** A model version with its model's name and the aliases pointing at it. */
export interface ModelVersion extends ModelVersionRecord {
  /** The registered model's current name. */
  model: string;
  /** Aliases pointing at this version now. */
  aliases: string[];
}

/** One alias move as the registry reports it. */
export interface AliasMove extends Omit<AliasEventRecord, "modelId"> {
  model: string;
}

/** An alias policy as the registry reports it. */
export interface AliasPolicy {
  model: string;
  alias: string;
  requireApproval: boolean;
  gate?: string;
  /** sha256 of the gate definition the policy pins, when it was set with a {@link Gate}. */
  gateDigest?: string;
  updatedAt: number;
}

/** Who does something and why, for the audit trail. */
export interface AuditOptions {
  /** Who (default `$MLCYCLE_ACTOR`, `$USER`, else `unknown`). */
  actor?: string;
  /** Why (default empty). */
  reason?: string;
}

/** Options of {@link ModelRegistry.register}. */
export interface RegisterOptions {
  /**
   * The model object, saved by the flavor — or MLflow's `runs:/<run-id>/<artifact-path>`, the bytes
   * of an artifact logged in a run (as `fromRun`: the flavor must be named, the run is the source).
   * Give this, `bytes`, or `fromRun`.
   */
  model?: unknown;
  /** Already-serialised model bytes (the flavor's `load` must understand them; see `flavorMeta`). */
  bytes?: Uint8Array;
  /**
   * Take the bytes from a tracking run's artifact (and the run as the source): `{ runId, path }` or
   * `runs:/<run-id>/<artifact-path>`.
   */
  fromRun?: { runId: string; path: string } | string;
  /** Flavor name (default: the first registered flavor whose `detect` accepts the model). */
  flavor?: string;
  /** Options for the flavor's `save` (e.g. `{ className }` for `json`). */
  flavorOptions?: Record<string, unknown>;
  /** Meta to store with `bytes`/`fromRun` (what `save` would have returned). */
  flavorMeta?: Record<string, unknown>;
  /** Input/output schemas: zod (kept in process) or JSON Schema; stored as JSON Schema. */
  signature?: ModelSignature;
  /**
   * Tracking run that produced the model; its latest metrics are copied (`metrics` wins per key).
   * With a run artifact as the source it may only name the same run.
   */
  runId?: string;
  /** Pipeline run and step that produced the model. */
  pipelineRunId?: string;
  step?: string;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  /** Model card (markdown). */
  modelCard?: string;
  description?: string;
  /** Name of the feature service the model reads. */
  featureService?: string;
  /** Who registers (default as {@link AuditOptions.actor}). */
  actor?: string;
  /** Create the registered model when it does not exist (default true). */
  createModel?: boolean;
}

/** What `ModelRegistry.updateVersion` changes on a version. */
export interface VersionUpdate {
  description?: string;
  modelCard?: string;
  /** Tags to set; `null` deletes one. */
  tags?: Record<string, string | null>;
  /** Metrics to add. */
  metrics?: Record<string, number>;
}

/** Options of {@link ModelRegistry.setPolicy}. */
export interface PolicyOptions {
  /** The version must have an approval (default false). */
  requireApproval?: boolean;
  /**
   * The version's latest result for this gate must have passed. A name accepts any stored result of
   * that name; a {@link Gate} also pins its definition (only results of exactly these thresholds count).
   */
  gate?: string | Gate;
}

/** Options of {@link ModelRegistry.recordEvaluation}. */
export interface RecordEvaluationOptions {
  gateResult?: GateResult;
  evaluation?: EvaluationResult | { metrics: Record<string, number>; [k: string]: unknown };
  /** Also log the metrics (and the gate outcome as a tag) on this tracking run. */
  runId?: string;
  /** Anything else to keep with the record (baseline version, data description…). */
  extra?: Record<string, unknown>;
}

/** Data for {@link ModelRegistry.evaluate}. */
export interface VersionEvaluationData {
  /** What `predict` takes. */
  inputs: unknown;
  /** True targets, one per prediction. */
  yTrue: (number | string)[];
}

/** Options of {@link ModelRegistry.evaluate}. */
export interface EvaluateVersionOptions {
  data: VersionEvaluationData;
  task: "classification" | "regression";
  gate: Gate;
  /** The model to beat: an alias of the candidate's model (`"champion"`) or any reference. */
  baseline?: string | ModelRef;
  /**
   * When the baseline does not exist (no champion yet): `"error"` (default) throws `NOT_FOUND`,
   * `"skip"` checks the gate without a baseline (rules that need one then fail unless only absolute
   * thresholds are set).
   */
  ifBaselineMissing?: "error" | "skip";
  /** Class labels (classification), in the column order of the model's probabilities. */
  labels?: (number | string)[];
  /** Binary classification: the positive class. */
  positiveLabel?: number | string;
  /** Slices to compute metrics on too, with the per-example `rows` they read. */
  slices?: EvaluationOptions["slices"];
  rows?: EvaluationOptions["rows"];
  /**
   * Turns a model's `predict` output into predictions (and class probabilities). Default: an array
   * is the predictions; an object uses its `label`/`labels`/`predictions`/`variable` member and its
   * `probabilities` member; a column of single-element rows is flattened.
   */
  toPredictions?: (output: unknown) => { yPred: (number | string)[]; probabilities?: number[][] | number[] };
  /** Log the metrics on this tracking run too. */
  runId?: string;
}

/** What {@link ModelRegistry.evaluate} returns. */
export interface EvaluateVersionResult {
  candidate: ModelVersion;
  baseline?: ModelVersion;
  evaluation: EvaluationResult;
  baselineEvaluation?: EvaluationResult;
  gateResult: GateResult;
  /** The stored record. */
  record: EvaluationRecord;
}

/** What {@link ModelRegistry.evaluate} returns when slices were asked for: each evaluation has `slices`. */
export interface SlicedEvaluateVersionResult extends EvaluateVersionResult {
  evaluation: SlicedEvaluationResult;
  baselineEvaluation?: SlicedEvaluationResult;
}

/** Options of {@link ModelRegistry.load}. */
export interface LoadOptions {
  /** Check inputs against the signature before predicting (default true). */
  validate?: boolean;
  /** The class to rebuild a `json`-flavor model with (overrides the registered one). */
  modelClass?: JsonModelClass;
  /** Options for the flavor's `load` (e.g. ONNX session options). */
  flavorOptions?: Record<string, unknown>;
}

/**
 * A model version ready to predict. `predict` validates inputs against the version's signature
 * (`VALIDATION` with zod's issues on mismatch) and calls the flavor's predictor. `close()` (or
 * `await using`) releases what the predictor holds, such as an ONNX session.
 */
export interface LoadedModel<I = any, O = any> extends AsyncDisposable {
  /** The version loaded. */
  readonly version: ModelVersion;
  /** `model@version`, for logs. */
  readonly ref: string;
  readonly flavor: string;
  /** The flavor's predictor (e.g. `{ model }` for json, the ONNX session wrapper). */
  readonly predictor: Predictor;
  predict(inputs: I): Promise<O>;
  /** Checks inputs against the signature without predicting; returns the parsed value. */
  validateInputs(inputs: unknown): unknown;
  /** Releases what the predictor holds. */
  close(): Promise<void>;
}

/** A reference resolved to its registered model and version records. */
export interface ResolvedVersion {
  model: RegisteredModelRecord;
  version: ModelVersionRecord;
}
