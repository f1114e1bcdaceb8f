import { lineageIds } from "../lineage/external-ids.js";
import { invalid, isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import { hashValue, sha256 } from "../core/hash.js";
import { checkKey, checkName, checkString } from "../core/validation.js";
import {
  checkGate,
  type EvaluationOptions,
  type EvaluationResult,
  evaluate,
  type Gate,
  type GateResult,
  parseGate,
} from "../evaluation/index.js";
import type {
  AliasEventRecord,
  AliasPolicyRecord,
  ApprovalRecord,
  EvaluationRecord,
  ModelVersionRecord,
  RegisteredModelRecord,
  RegistryStore,
} from "../stores/registry-store.js";
import type { WorkspaceContext } from "../workspace-context.js";
import { FunctionFlavor, type PredictFactory } from "./flavors/function-flavor.js";
import { type JsonClassOptions, JsonFlavor, type JsonModelClass } from "./flavors/json-flavor.js";
import type { ModelFlavor, Predictor } from "../stores/model-flavor.js";
import { isReservedAlias, isVersionId, type ModelRef, type ParsedRef, parseModelRef } from "./model-ref.js";
import "./registry-events.js";
import {
  isZodSchema,
  type ModelSignature,
  type SchemaLike,
  signatureRecord,
  type Validator,
  validatorFor,
} from "./signature.js";

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
  /** The model object, saved by the flavor. Give this, `bytes`, or `fromRun`. */
  model?: unknown;
  /** Already-serialised model bytes (the flavor's `load` must understand them; see `flavorMeta`). */
  bytes?: Uint8Array;
  /** Take the bytes from a tracking run's artifact (and the run as the source). */
  fromRun?: { runId: string; path: string };
  /** Flavor name (default: the first registered flavor whose `detect` accepts the model). */
  flavor?: string;
  /** Options for the flavor's `save` (e.g. `{ className }` for `json`). */
  flavorOptions?: Record<string, unknown>;
  /** Meta to store with `bytes`/`fromRun` (what `save` would have returned). */
  flavorMeta?: Record<string, unknown>;
  /** Input/output schemas: zod (kept in process) or JSON Schema; stored as JSON Schema. */
  signature?: ModelSignature;
  /** Tracking run that produced the model; its latest metrics are copied when `metrics` is absent. */
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

/** The subset of `ws.experiments` the registry uses, typed structurally. */
interface TrackingLike {
  getRun?(runId: string): Promise<{ id: string; name?: string; metrics: Record<string, number> }>;
  readArtifact?(runId: string, path: string): Promise<Uint8Array>;
}

/** The subset of the tracking port the registry writes evaluation metrics through. */
interface TrackingStoreLike {
  logMetrics(points: { runId: string; key: string; value: number; step: number; timestamp: number }[]): Promise<void>;
  setTags(runId: string, tags: Record<string, string>): Promise<void>;
}

const MODEL_NAME_RE = /^[^@]+$/;

function defaultActor(): string {
  return process.env.MLCYCLE_ACTOR || process.env.USER || "unknown";
}

/**
 * `ws.registry`: registered models, numbered versions, aliases with an audit trail and rollback,
 * promotion policies (approval, passing gate), loading with digest and signature checks, and the
 * flavors that save and load models.
 *
 * @example
 * ```ts
 * ws.registry.registerModelClass(RandomForestClassifier);
 * const v = await ws.registry.register("iris", { model: rf, signature: { inputs: z.array(z.array(z.number()).length(4)) } });
 * await ws.registry.setAlias("iris", "champion", v.version, { actor: "ana", reason: "first model" });
 * const m = await ws.registry.load("iris@champion");
 * await m.predict([[5.1, 3.5, 1.4, 0.2]]);
 * await ws.registry.rollback("iris", "champion", { actor: "ana", reason: "bad canary" });
 * ```
 */
export class ModelRegistry {
  private readonly store: RegistryStore;
  private readonly flavors = new Map<string, ModelFlavor>();
  private readonly json = new JsonFlavor();
  private readonly functions = new FunctionFlavor();
  /** Zod schemas of versions registered in this process, so validation uses them instead of JSON Schema. */
  private readonly schemas = new Map<string, SchemaLike>();

  /**
   * Built by the workspace (`ws.registry`). `options.flavors` adds flavors beyond the built-in `json`
   * and `function` ones (the same as calling {@link registerFlavor} for each).
   */
  constructor(
    readonly ctx: WorkspaceContext,
    options: { flavors?: ModelFlavor[] } = {},
  ) {
    this.store = ctx.metadata.registry;
    this.registerFlavor(this.functions);
    this.registerFlavor(this.json);
    for (const f of options.flavors ?? []) this.registerFlavor(f);
  }

  // ---------------------------------------------------------------- flavors

  /**
   * Adds a flavor (or replaces the one of the same name). Flavors registered later are tried first
   * when `register()` detects the flavor.
   *
   * @example
   * ```ts
   * import { onnxFlavor } from "mlcycle/onnx";
   * ws.registry.registerFlavor(onnxFlavor());
   * ```
   */
  registerFlavor(flavor: ModelFlavor): this {
    if (!flavor || typeof flavor.save !== "function" || typeof flavor.load !== "function")
      throw invalid(["flavor"], "a flavor needs a name, save() and load()");
    checkKey("flavor.name", flavor.name);
    this.flavors.delete(flavor.name);
    this.flavors.set(flavor.name, flavor);
    return this;
  }

  /** A registered flavor by name; `NOT_FOUND` naming the known ones. */
  flavor(name: string): ModelFlavor {
    const f = this.flavors.get(name);
    if (!f) throw notFound("model flavor", name, `known flavors: ${[...this.flavors.keys()].join(", ")}`);
    return f;
  }

  /** Makes a class loadable by the `json` flavor (ml.js models and anything with toJSON + static load). */
  registerModelClass<M>(cls: JsonModelClass<M>, options?: JsonClassOptions<M>): this {
    this.json.registerClass(cls, options);
    return this;
  }

  /** Registers a predict factory for the `function` flavor (see `functionModel`). */
  registerFunction<S>(name: string, factory: PredictFactory<S>): this {
    this.functions.registerFactory(name, factory);
    return this;
  }

  // ---------------------------------------------------------------- registered models

  /** Creates a registered model; `CONFLICT` when the name is taken, `VALIDATION` on a bad name. */
  async createModel(name: string, options: { description?: string; tags?: Record<string, string> } = {}) {
    checkModelName(name);
    const now = this.ctx.clock.now();
    const rec = await this.store.createModel({
      name,
      description: checkString("description", options.description ?? "", 100_000),
      tags: checkTags(options.tags),
      createdAt: now,
      updatedAt: now,
    });
    return this.describeModel(rec);
  }

  /** A registered model by name; `NOT_FOUND` naming it. */
  async getModel(name: string): Promise<RegisteredModel> {
    return this.describeModel(await this.modelRecord(name));
  }

  /**
   * Registered models, by name: all of them, or those whose name matches a LIKE pattern
   * (case-insensitive, `%` and `_`) and carry every given tag.
   *
   * @example
   * ```ts
   * await ws.registry.searchModels({ nameLike: "iris%", tags: { team: "vision" } });
   * ```
   */
  async searchModels(
    filter: { nameLike?: string; tags?: Record<string, string>; after?: string; limit?: number } = {},
  ): Promise<RegisteredModel[]> {
    if (filter.nameLike !== undefined) checkString("nameLike", filter.nameLike, 500);
    if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > 10_000))
      throw invalid(["limit"], "must be an integer between 1 and 10000");
    const rows = await this.store.listModels({ ...filter, tags: filter.tags && checkTags(filter.tags) });
    return Promise.all(rows.map((r) => this.describeModel(r)));
  }

  /** Every registered model (up to `limit`, default 100), by name. */
  listModels(options: { after?: string; limit?: number } = {}): Promise<RegisteredModel[]> {
    return this.searchModels(options);
  }

  /** Renames a model; versions, aliases and history follow. `CONFLICT` when the new name is taken. */
  async renameModel(name: string, newName: string): Promise<RegisteredModel> {
    checkModelName(newName);
    const m = await this.modelRecord(name);
    return this.describeModel(await this.store.updateModel(m.id, { name: newName, updatedAt: this.ctx.clock.now() }));
  }

  /** Sets a model's description. */
  async updateModel(name: string, patch: { description?: string }): Promise<RegisteredModel> {
    const m = await this.modelRecord(name);
    const description =
      patch.description === undefined ? undefined : checkString("description", patch.description, 100_000);
    return this.describeModel(await this.store.updateModel(m.id, { description, updatedAt: this.ctx.clock.now() }));
  }

  /** Sets one tag of a model. */
  async setModelTag(name: string, key: string, value: string): Promise<void> {
    const m = await this.modelRecord(name);
    await this.store.updateModel(m.id, { tags: checkTags({ [key]: value }), updatedAt: this.ctx.clock.now() });
  }

  /** Removes one tag of a model (absent tags are fine). */
  async deleteModelTag(name: string, key: string): Promise<void> {
    const m = await this.modelRecord(name);
    await this.store.updateModel(m.id, { tags: { [checkKey("tag", key)]: null }, updatedAt: this.ctx.clock.now() });
  }

  // ---------------------------------------------------------------- versions

  /**
   * Registers a new version of `name` (creating the model unless `createModel: false`): saves the
   * model with its flavor into the artifact store, records signature, source run / pipeline step,
   * metrics, tags and model card, numbers it atomically, records lineage and emits
   * `model.version.created`.
   *
   * @example
   * ```ts
   * const v = await ws.registry.register("iris", {
   *   model: rf, runId: run.id, signature: { inputs: z.array(z.array(z.number()).length(4)) },
   *   modelCard: "# Iris RF\nTrained on…", tags: { algo: "rf" },
   * });
   * v.version; // 1, 2, 3…
   * ```
   */
  async register(name: string, options: RegisterOptions): Promise<ModelVersion> {
    checkModelName(name);
    if (!options || typeof options !== "object") throw invalid(["options"], "register() needs options");
    const sources = [options.model !== undefined, options.bytes !== undefined, options.fromRun !== undefined];
    if (sources.filter(Boolean).length !== 1) throw invalid(["model"], "give exactly one of model, bytes or fromRun");
    const tags = checkTags(options.tags);
    const metrics = options.metrics === undefined ? undefined : checkMetrics(options.metrics);
    const modelCard = checkString("modelCard", options.modelCard ?? "", 1_000_000);
    const description = checkString("description", options.description ?? "", 100_000);
    if (options.featureService !== undefined) checkName("featureService", options.featureService);
    if (options.step !== undefined) checkName("step", options.step);
    if (options.pipelineRunId !== undefined) checkKey("pipelineRunId", options.pipelineRunId);
    const runId = options.fromRun?.runId ?? options.runId;
    if (runId !== undefined) checkKey("runId", runId);
    const signature = signatureRecord(options.signature);
    // A stored schema another process cannot rebuild would only fail at load time: refuse it now.
    if (signature?.inputs && !isZodSchema(options.signature?.inputs))
      validatorFor(signature.inputs, `signature inputs of ${name}`);
    const actor = checkString("actor", options.actor ?? defaultActor(), 500);

    const flavor = this.pickFlavor(options);
    let bytes: Uint8Array;
    let meta: Record<string, unknown> = options.flavorMeta ?? {};
    if (options.model !== undefined) {
      const saved = await flavor.save(options.model, { options: options.flavorOptions ?? {} });
      bytes = saved.bytes;
      meta = { ...(saved.meta ?? {}), ...(options.flavorMeta ?? {}) };
    } else if (options.bytes !== undefined) {
      if (!(options.bytes instanceof Uint8Array)) throw invalid(["bytes"], "must be a Uint8Array");
      bytes = options.bytes;
    } else {
      const from = options.fromRun!;
      checkString("fromRun.path", from.path, 1000);
      const tracking = this.tracking();
      if (!tracking.readArtifact) throw new MlcycleError("UNAVAILABLE", "the tracking module cannot read artifacts");
      bytes = await tracking.readArtifact(from.runId, from.path);
    }
    if (!(bytes instanceof Uint8Array)) throw new MlcycleError("INTERNAL", `flavor '${flavor.name}' saved no bytes`);
    try {
      meta = JSON.parse(JSON.stringify(meta));
    } catch (error) {
      throw invalid(["flavorMeta"], `must be JSON-serialisable: ${(error as Error).message}`);
    }

    let runMetrics: Record<string, number> | undefined;
    let runName: string | undefined;
    if (runId !== undefined) {
      const tracking = this.tracking();
      if (tracking.getRun) {
        const run = await tracking.getRun(runId);
        // JSON has no NaN or ±Infinity: only finite latest values are copied.
        runMetrics = Object.fromEntries(Object.entries(run.metrics).filter(([, v]) => Number.isFinite(v)));
        runName = run.name;
      }
    }

    let model = await this.store.getModel(name);
    if (!model) {
      if (options.createModel === false) throw notFound("registered model", name);
      const now = this.ctx.clock.now();
      try {
        model = await this.store.createModel({ name, description: "", tags: {}, createdAt: now, updatedAt: now });
      } catch (error) {
        // Another process created it between our read and write: use theirs.
        if (!isMlcycleError(error, "CONFLICT")) throw error;
        model = await this.modelRecord(name);
      }
    }

    const { digest, size } = await this.ctx.artifacts.put(bytes);
    const record = await this.store.createVersion({
      modelId: model.id,
      flavor: flavor.name,
      flavorMeta: meta,
      digest,
      size,
      ...(signature ? { signature } : {}),
      ...(runId !== undefined ? { runId } : {}),
      ...(options.pipelineRunId !== undefined ? { pipelineRunId: options.pipelineRunId } : {}),
      ...(options.step !== undefined ? { step: options.step } : {}),
      metrics: { ...(runMetrics ?? {}), ...(metrics ?? {}) },
      tags,
      modelCard,
      description,
      ...(options.featureService !== undefined ? { featureService: options.featureService } : {}),
      createdBy: actor,
      createdAt: this.ctx.clock.now(),
    });
    if (options.signature?.inputs !== undefined) this.schemas.set(record.id, options.signature.inputs);

    await this.recordLineage(name, record, runName);
    this.ctx.events.emit("model.version.created", {
      model: name,
      version: record.version,
      versionId: record.id,
      flavor: record.flavor,
      digest,
      ...(runId !== undefined ? { runId } : {}),
      at: record.createdAt,
    });
    return { ...record, model: name, aliases: [] };
  }

  /** A version by reference (`iris@champion`, `iris@3`, `iris@latest`, version id); `NOT_FOUND` naming it. */
  async getVersion(ref: ModelRef): Promise<ModelVersion> {
    const { model, version } = await this.resolve(ref);
    return this.describeVersion(model, version);
  }

  /** The versions of a model, by number (deleted ones only with `includeDeleted`). */
  async listVersions(name: string, options: { includeDeleted?: boolean } = {}): Promise<ModelVersion[]> {
    const model = await this.modelRecord(name);
    const [versions, aliases] = await Promise.all([
      this.store.listVersions(model.id),
      this.store.listAliases(model.id),
    ]);
    return versions
      .filter((v) => options.includeDeleted || v.deletedAt === undefined)
      .map((v) => ({
        ...v,
        model: model.name,
        aliases: aliases.filter((a) => a.version === v.version).map((a) => a.alias),
      }));
  }

  /** Updates a version's description, model card, tags (null deletes) or adds metrics. */
  async updateVersion(
    ref: ModelRef,
    patch: {
      description?: string;
      modelCard?: string;
      tags?: Record<string, string | null>;
      metrics?: Record<string, number>;
    },
  ): Promise<ModelVersion> {
    const { model, version } = await this.resolve(ref);
    const tags: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(patch.tags ?? {})) {
      checkKey("tag", k);
      tags[k] = v === null ? null : checkString(`tags.${k}`, v, 8000);
    }
    const updated = await this.store.updateVersion(version.id, {
      ...(patch.description !== undefined
        ? { description: checkString("description", patch.description, 100_000) }
        : {}),
      ...(patch.modelCard !== undefined ? { modelCard: checkString("modelCard", patch.modelCard, 1_000_000) } : {}),
      tags,
      ...(patch.metrics ? { metrics: checkMetrics(patch.metrics) } : {}),
    });
    return this.describeVersion(model, updated);
  }

  /** Sets one tag of a version. */
  async setVersionTag(ref: ModelRef, key: string, value: string): Promise<void> {
    await this.updateVersion(ref, { tags: { [key]: value } });
  }

  /**
   * Deletes a version: it can no longer be loaded, aliased or referenced, and `latest` skips it. The
   * record stays (marked deleted, with who and why in its tags) so its number is never reused and the
   * audit trail still makes sense; the artifact bytes stay too (other versions may share them).
   * `PRECONDITION` while an alias points at it. Emits `model.version.deleted`.
   *
   * @example
   * ```ts
   * await ws.registry.deleteVersion("iris@2", { actor: "ana", reason: "trained on leaked labels" });
   * ```
   */
  async deleteVersion(ref: ModelRef, audit: AuditOptions = {}): Promise<ModelVersion> {
    const { model, version } = await this.resolve(ref);
    const actor = checkString("actor", audit.actor ?? defaultActor(), 500);
    const reason = checkString("reason", audit.reason ?? "", 8000);
    const pointing = (await this.store.listAliases(model.id)).filter((a) => a.version === version.version);
    if (pointing.length)
      throw new MlcycleError(
        "PRECONDITION",
        `${model.name}@${version.version} is the target of alias ${pointing.map((a) => `'${a.alias}'`).join(", ")}: ` +
          "move or delete the alias first",
        { details: { model: model.name, version: version.version, aliases: pointing.map((a) => a.alias) } },
      );
    const at = this.ctx.clock.now();
    const updated = await this.store.updateVersion(version.id, {
      deletedAt: at,
      tags: { "mlcycle.deleted_by": actor, "mlcycle.delete_reason": reason },
    });
    this.ctx.events.emit("model.version.deleted", {
      model: model.name,
      version: version.version,
      versionId: version.id,
      actor,
      reason,
      at,
    });
    return { ...updated, model: model.name, aliases: [] };
  }

  // ---------------------------------------------------------------- aliases

  /**
   * Points `alias` at a version, atomically, with an audit record (who, when, why, from → to), after
   * checking the alias's policy: a version lacking a required approval or passing gate result is
   * refused with `PRECONDITION` naming what is missing. Moving an alias to where it already points
   * changes nothing and returns the move that put it there. Emits `model.alias.moved`.
   *
   * @example
   * ```ts
   * await ws.registry.setAlias("iris", "champion", 3, { actor: "ana", reason: "beats v2 by 2 points" });
   * ```
   */
  async setAlias(name: string, alias: string, target: number | ModelRef, audit: AuditOptions = {}): Promise<AliasMove> {
    checkAlias(alias);
    const model = await this.modelRecord(name);
    const version =
      typeof target === "number" ? await this.versionOf(model, target) : (await this.resolve(target)).version;
    if (version.modelId !== model.id)
      throw invalid(["target"], `version ${version.id} belongs to another model than '${model.name}'`);
    const current = await this.store.getAlias(model.id, alias);
    const actor = checkString("actor", audit.actor ?? defaultActor(), 500);
    const reason = checkString("reason", audit.reason ?? "", 10_000);
    if (current?.version === version.version) {
      // Nothing moves, so nothing is audited: answer with the move that put the alias there.
      const [last] = await this.store.aliasEvents(model.id, alias, 1);
      if (last) {
        const { modelId: _m, ...rest } = last;
        return { ...rest, model: model.name };
      }
    }
    await this.checkPolicy(model, alias, version);
    return this.move(model, alias, {
      action: "set",
      to: version.version,
      actor,
      reason,
      expected: current?.version ?? null,
    });
  }

  /** Alias of {@link setAlias}, for the vocabulary of promotions. */
  promote(name: string, alias: string, target: number | ModelRef, audit: AuditOptions = {}): Promise<AliasMove> {
    return this.setAlias(name, alias, target, audit);
  }

  /**
   * Returns `alias` to the version it pointed to before its latest move (repeatable: each rollback
   * undoes one more move). Policies are not re-checked: the target already held the alias. Audited
   * as a `rollback`; `PRECONDITION` when there is no earlier version.
   *
   * @example
   * ```ts
   * const move = await ws.registry.rollback("iris", "champion", { actor: "oncall", reason: "error rate up" });
   * move.from; // 3
   * move.to;   // 2
   * ```
   */
  async rollback(name: string, alias: string, audit: AuditOptions = {}): Promise<AliasMove> {
    checkAlias(alias);
    const model = await this.modelRecord(name);
    const current = await this.store.getAlias(model.id, alias);
    if (!current) throw notFound("alias", `${model.name}@${alias}`);
    const history = await this.store.aliasEvents(model.id, alias, 100_000);
    let pending = 0;
    let target: number | undefined;
    let found = false;
    for (const e of history) {
      if (e.action === "rollback") {
        pending++;
        continue;
      }
      if (pending > 0) {
        pending--;
        continue;
      }
      target = e.from;
      found = true;
      break;
    }
    if (!found || target === undefined)
      throw new MlcycleError(
        "PRECONDITION",
        `alias '${model.name}@${alias}' has no earlier version to roll back to (it points at version ${current.version})`,
        { details: { model: model.name, alias } },
      );
    await this.versionOf(model, target);
    return this.move(model, alias, {
      action: "rollback",
      to: target,
      actor: checkString("actor", audit.actor ?? defaultActor(), 500),
      reason: checkString("reason", audit.reason ?? "", 10_000),
      expected: current.version,
    });
  }

  /** Removes an alias (audited as `delete`); `NOT_FOUND` when it does not exist. */
  async deleteAlias(name: string, alias: string, audit: AuditOptions = {}): Promise<AliasMove> {
    checkAlias(alias);
    const model = await this.modelRecord(name);
    const current = await this.store.getAlias(model.id, alias);
    if (!current) throw notFound("alias", `${model.name}@${alias}`);
    return this.move(model, alias, {
      action: "delete",
      actor: checkString("actor", audit.actor ?? defaultActor(), 500),
      reason: checkString("reason", audit.reason ?? "", 10_000),
      expected: current.version,
    });
  }

  /** Where each alias of a model points: alias → version number. */
  async aliases(name: string): Promise<Record<string, number>> {
    const model = await this.modelRecord(name);
    return Object.fromEntries((await this.store.listAliases(model.id)).map((a) => [a.alias, a.version]));
  }

  /** The audit trail of a model's aliases (one alias when given), newest first. */
  async aliasHistory(name: string, alias?: string, options: { limit?: number } = {}): Promise<AliasMove[]> {
    const model = await this.modelRecord(name);
    if (alias !== undefined) checkAlias(alias);
    const rows = await this.store.aliasEvents(model.id, alias, options.limit ?? 1000);
    return rows.map(({ modelId: _m, ...e }) => ({ ...e, model: model.name }));
  }

  // ---------------------------------------------------------------- policies, approvals, evaluations

  /**
   * Sets what `alias` requires of a version before it may point to it: an approval, and/or a passing
   * result of a named gate stored with {@link recordEvaluation} or {@link evaluate}. The current
   * target is not re-checked.
   *
   * @example
   * ```ts
   * await ws.registry.setPolicy("iris", "champion", { requireApproval: true, gate: "beats-champion" });
   * ```
   */
  async setPolicy(name: string, alias: string, policy: PolicyOptions): Promise<AliasPolicy> {
    checkAlias(alias);
    const model = await this.modelRecord(name);
    const gateObject = typeof policy.gate === "object" && policy.gate !== null ? parseGate(policy.gate) : undefined;
    const gate = gateObject ? gateObject.name : (policy.gate as string | undefined);
    if (gate !== undefined) checkName("gate", gate);
    if (policy.requireApproval !== undefined && typeof policy.requireApproval !== "boolean")
      throw invalid(["requireApproval"], "must be a boolean");
    const rec: AliasPolicyRecord = {
      modelId: model.id,
      alias,
      requireApproval: policy.requireApproval ?? false,
      ...(gate !== undefined ? { gate } : {}),
      ...(gateObject ? { gateDigest: hashValue(gateObject) } : {}),
      updatedAt: this.ctx.clock.now(),
    };
    await this.store.setPolicy(model.id, alias, rec);
    return toPolicy(model.name, rec);
  }

  /** The policy of an alias, or undefined. */
  async getPolicy(name: string, alias: string): Promise<AliasPolicy | undefined> {
    const model = await this.modelRecord(name);
    const p = await this.store.getPolicy(model.id, alias);
    return p ? toPolicy(model.name, p) : undefined;
  }

  /** Removes the policy of an alias. */
  async removePolicy(name: string, alias: string): Promise<void> {
    const model = await this.modelRecord(name);
    await this.store.setPolicy(model.id, alias, undefined);
  }

  /**
   * Records an approval of a version (for aliases whose policy requires one). Emits
   * `model.approval.given`.
   *
   * @example
   * ```ts
   * await ws.registry.approve("iris@3", { actor: "lead", comment: "reviewed the model card" });
   * ```
   */
  async approve(ref: ModelRef, options: { actor?: string; comment?: string } = {}): Promise<ApprovalRecord> {
    const { model, version } = await this.resolve(ref);
    const rec = await this.store.addApproval({
      versionId: version.id,
      actor: checkString("actor", options.actor ?? defaultActor(), 500),
      comment: checkString("comment", options.comment ?? "", 10_000),
      at: this.ctx.clock.now(),
    });
    this.ctx.events.emit("model.approval.given", {
      model: model.name,
      version: version.version,
      versionId: version.id,
      actor: rec.actor,
      comment: rec.comment,
      at: rec.at,
    });
    return rec;
  }

  /** Approvals of a version, oldest first. */
  async approvals(ref: ModelRef): Promise<ApprovalRecord[]> {
    const { version } = await this.resolve(ref);
    return this.store.listApprovals(version.id);
  }

  /**
   * Stores an evaluation and/or gate result with a version (the evidence alias policies check), and
   * when `runId` is given also logs the metrics on that tracking run and tags it with the gate outcome.
   *
   * @example
   * ```ts
   * const gateResult = checkGate(gate, { accuracy_score: 0.97 }, { accuracy_score: 0.95 });
   * await ws.registry.recordEvaluation("iris@3", { gateResult, runId });
   * ```
   */
  async recordEvaluation(ref: ModelRef, options: RecordEvaluationOptions): Promise<EvaluationRecord> {
    const { model, version } = await this.resolve(ref);
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
    const result: Record<string, unknown> = JSON.parse(
      JSON.stringify({
        ...(options.extra ?? {}),
        ...(g ? { gateResult: g } : {}),
        ...(options.evaluation ? { evaluation: options.evaluation } : {}),
        metrics,
      }),
    );
    const rec = await this.store.addEvaluation({
      versionId: version.id,
      ...(g ? { gate: g.gate.name, passed: g.passed } : {}),
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      result,
      at: this.ctx.clock.now(),
    });
    if (options.runId !== undefined) await this.logOnRun(options.runId, metrics, model.name, version.version, g);
    this.ctx.events.emit("model.evaluation.recorded", {
      model: model.name,
      version: version.version,
      versionId: version.id,
      ...(g ? { gate: g.gate.name, passed: g.passed } : {}),
      metrics,
      at: rec.at,
    });
    return rec;
  }

  /** Stored evaluations of a version, oldest first. */
  async evaluations(ref: ModelRef): Promise<EvaluationRecord[]> {
    const { version } = await this.resolve(ref);
    return this.store.listEvaluations(version.id);
  }

  /**
   * The one-call "compare with the champion" flow: loads the candidate and the baseline, predicts on
   * the same data, computes metrics with the evaluation module, checks the gate against the
   * baseline's metrics and stores the outcome with the candidate (and on `runId`).
   *
   * @example
   * ```ts
   * const r = await ws.registry.evaluate("iris@4", {
   *   data: { inputs: X, yTrue: y }, task: "classification", baseline: "champion",
   *   gate: { name: "beats-champion", thresholds: [{ metric: "accuracy_score", minAbsoluteChange: 0 }] },
   * });
   * if (r.gateResult.passed) await ws.registry.setAlias("iris", "champion", 4, { reason: "passed gate" });
   * ```
   */
  async evaluate(candidateRef: ModelRef, options: EvaluateVersionOptions): Promise<EvaluateVersionResult> {
    if (!options || typeof options !== "object" || !options.data) throw invalid(["data"], "evaluate() needs data");
    if (!Array.isArray(options.data.yTrue)) throw invalid(["data", "yTrue"], "must be an array");
    const cand = await this.resolve(candidateRef);
    let base: { model: RegisteredModelRecord; version: ModelVersionRecord } | undefined;
    if (options.baseline !== undefined) {
      const b = options.baseline;
      try {
        base =
          typeof b === "string" && !b.includes("@") && !isVersionId(b)
            ? await this.resolve({ model: cand.model.name, alias: b })
            : await this.resolve(b);
      } catch (error) {
        // The first model of a pipeline has no champion yet: let the gate decide without a baseline.
        if (!(isMlcycleError(error, "NOT_FOUND") && options.ifBaselineMissing === "skip")) throw error;
      }
    }
    const score = async (m: { model: RegisteredModelRecord; version: ModelVersionRecord }) => {
      const loaded = await this.loadResolved(m.model, m.version, {});
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
    const record = await this.recordEvaluation(
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
      candidate: await this.describeVersion(cand.model, cand.version),
      ...(base ? { baseline: await this.describeVersion(base.model, base.version) } : {}),
      evaluation,
      ...(baselineEvaluation ? { baselineEvaluation } : {}),
      gateResult,
      record,
    };
  }

  // ---------------------------------------------------------------- loading

  /**
   * Loads a version for prediction: reads the artifact (its digest is verified — changed bytes are an
   * `INTEGRITY` error, never a silently different model), rebuilds the model with its flavor, and
   * wraps `predict` with input validation against the signature.
   *
   * @example
   * ```ts
   * const m = await ws.registry.load("iris@champion");
   * const labels = await m.predict([[5.1, 3.5, 1.4, 0.2]]);
   * ```
   */
  async load<I = any, O = any>(ref: ModelRef, options: LoadOptions = {}): Promise<LoadedModel<I, O>> {
    const { model, version } = await this.resolve(ref);
    return this.loadResolved(model, version, options);
  }

  /** Resolves a reference to its model and version records; `NOT_FOUND` naming what is missing. */
  async resolve(ref: ModelRef): Promise<{ model: RegisteredModelRecord; version: ModelVersionRecord }> {
    const p: ParsedRef = parseModelRef(ref);
    if (p.kind === "id") {
      const version = await this.store.getVersionById(p.id);
      if (!version) throw notFound("model version", p.id);
      if (version.deletedAt !== undefined) throw notFound("model version", p.id, "it was deleted");
      const model = await this.store.getModelById(version.modelId);
      if (!model) throw notFound("registered model", version.modelId);
      return { model, version };
    }
    const model = await this.modelRecord(p.model);
    if (p.kind === "version") return { model, version: await this.versionOf(model, p.version) };
    if (p.kind === "latest") {
      const version = await this.store.latestVersion(model.id);
      if (!version) throw notFound("model version", `${model.name}@latest`, "the model has no versions yet");
      return { model, version };
    }
    const alias = await this.store.getAlias(model.id, p.alias);
    if (!alias) throw notFound("alias", `${model.name}@${p.alias}`);
    return { model, version: await this.versionOf(model, alias.version) };
  }

  /** Nothing to flush: every write is committed when its call returns. */
  async close(): Promise<void> {
    this.schemas.clear();
  }

  // ---------------------------------------------------------------- internals

  private async loadResolved(
    model: RegisteredModelRecord,
    version: ModelVersionRecord,
    options: LoadOptions,
  ): Promise<LoadedModel> {
    const ref = `${model.name}@${version.version}`;
    const flavor = this.flavor(version.flavor);
    const bytes = await this.ctx.artifacts.get(version.digest);
    const actual = sha256(bytes);
    if (actual !== version.digest)
      throw new MlcycleError("INTEGRITY", `the artifact of ${ref} does not match its digest ${version.digest}`, {
        details: { ref, digest: version.digest, actual },
      });
    const flavorOptions = { ...(options.flavorOptions ?? {}) };
    if (options.modelClass) flavorOptions.modelClass = options.modelClass;
    const predictor = await flavor.load(bytes, version.flavorMeta, { ref, options: flavorOptions });
    const schema = this.schemas.get(version.id) ?? version.signature?.inputs;
    const validator: Validator | undefined =
      schema !== undefined && options.validate !== false ? validatorFor(schema, `inputs of ${ref}`) : undefined;
    const described = await this.describeVersion(model, version);
    return {
      version: described,
      ref,
      flavor: flavor.name,
      predictor,
      validateInputs: (inputs) => (validator ? validator(inputs) : inputs),
      async predict(inputs) {
        const checked = validator ? validator(inputs) : inputs;
        return predictor.predict(checked);
      },
      async close() {
        await predictor.close?.();
      },
      async [Symbol.asyncDispose]() {
        await predictor.close?.();
      },
    };
  }

  private async move(
    model: RegisteredModelRecord,
    alias: string,
    m: { action: AliasEventRecord["action"]; to?: number; actor: string; reason: string; expected: number | null },
  ): Promise<AliasMove> {
    const e = await this.store.moveAlias(model.id, alias, {
      action: m.action,
      ...(m.to !== undefined ? { to: m.to } : {}),
      actor: m.actor,
      reason: m.reason,
      at: this.ctx.clock.now(),
      expected: m.expected,
    });
    const { modelId: _m, ...rest } = e;
    this.ctx.events.emit("model.alias.moved", {
      model: model.name,
      alias,
      action: e.action,
      ...(e.from !== undefined ? { from: e.from } : {}),
      ...(e.to !== undefined ? { to: e.to } : {}),
      actor: e.actor,
      reason: e.reason,
      at: e.at,
    });
    return { ...rest, model: model.name };
  }

  private async checkPolicy(model: RegisteredModelRecord, alias: string, version: ModelVersionRecord): Promise<void> {
    const policy = await this.store.getPolicy(model.id, alias);
    if (!policy) return;
    const missing: string[] = [];
    const hints: string[] = [];
    if (policy.requireApproval) {
      const approvals = await this.store.listApprovals(version.id);
      if (approvals.length === 0) {
        missing.push("an approval");
        hints.push(`ws.registry.approve("${model.name}@${version.version}", { actor })`);
      }
    }
    if (policy.gate !== undefined) {
      const named = (await this.store.listEvaluations(version.id)).filter((e) => e.gate === policy.gate);
      const results =
        policy.gateDigest === undefined
          ? named
          : named.filter((e) => {
              const g = (e.result.gateResult as { gate?: unknown } | undefined)?.gate;
              return g !== undefined && hashValue(g) === policy.gateDigest;
            });
      const last = results.at(-1);
      if (!last?.passed) {
        missing.push(
          last
            ? `a passing result of gate '${policy.gate}' (the latest failed)`
            : named.length > results.length
              ? `a result of gate '${policy.gate}' as the policy defines it (stored results used another definition)`
              : `a result of gate '${policy.gate}'`,
        );
        hints.push(`ws.registry.evaluate(…, { gate }) or recordEvaluation()`);
      }
    }
    if (missing.length)
      throw new MlcycleError(
        "PRECONDITION",
        `alias '${model.name}@${alias}' requires ${missing.join(" and ")} for version ${version.version}; ` +
          `record it with ${hints.join(" / ")}`,
        {
          details: {
            model: model.name,
            alias,
            version: version.version,
            missing: [
              ...(policy.requireApproval && missing.some((m) => m.includes("approval")) ? ["approval"] : []),
              ...(policy.gate !== undefined && missing.some((m) => m.includes("gate")) ? [`gate:${policy.gate}`] : []),
            ],
          },
        },
      );
  }

  private pickFlavor(options: RegisterOptions): ModelFlavor {
    if (options.flavor !== undefined) return this.flavor(checkKey("flavor", options.flavor));
    if (options.model === undefined)
      throw invalid(["flavor"], "name the flavor when registering bytes or a run artifact");
    const candidates = [...this.flavors.values()].reverse();
    const f = candidates.find((c) => c.detect?.(options.model));
    if (!f)
      throw invalid(
        ["flavor"],
        `no flavor recognises this model; name one (${[...this.flavors.keys()].join(", ")}) or register a custom flavor`,
      );
    return f;
  }

  private async recordLineage(name: string, v: ModelVersionRecord, runName: string | undefined): Promise<void> {
    const lineage = this.ctx.workspace.lineage;
    const artifact = await lineage.recordArtifact({
      type: "model_version",
      name: `${name}/${v.version}`,
      externalId: lineageIds.modelVersion(name, v.version),
      digest: v.digest,
      properties: { model: name, version: v.version, versionId: v.id, flavor: v.flavor },
    });
    const producers: Array<{ externalId: string; type: string; name: string }> = [];
    if (v.runId !== undefined)
      producers.push({ externalId: lineageIds.run(v.runId), type: "tracking_run", name: runName ?? v.runId });
    if (v.pipelineRunId !== undefined && v.step !== undefined)
      producers.push({ externalId: lineageIds.stepRun(v.pipelineRunId, v.step), type: "step_run", name: v.step });
    for (const p of producers) {
      // Keep the node the owning module recorded (its name and type); only add the output event.
      const existing = await lineage.find({ kind: "execution", externalId: p.externalId });
      if (existing) await lineage.addEvent(existing.id, artifact.id, "output", "model");
      else await lineage.recordExecution({ ...p, outputs: [{ artifact: artifact.id, slot: "model" }] });
    }
  }

  private async logOnRun(
    runId: string,
    metrics: Record<string, number>,
    model: string,
    version: number,
    gate: GateResult | undefined,
  ): Promise<void> {
    const tracking = this.tracking();
    // NOT_FOUND naming the run before anything is written to it.
    if (tracking.getRun) await tracking.getRun(runId);
    // Written through the tracking port, so a finished run stays finished.
    const store = this.ctx.metadata.tracking as unknown as TrackingStoreLike;
    const at = this.ctx.clock.now();
    const points = Object.entries(metrics).map(([key, value]) => ({ runId, key, value, step: 0, timestamp: at }));
    if (points.length) await store.logMetrics(points);
    const tags: Record<string, string> = { "mlcycle.evaluated_model": `${model}@${version}` };
    if (gate) tags[`mlcycle.gate.${gate.gate.name}`] = gate.passed ? "passed" : "failed";
    await store.setTags(runId, tags);
  }

  private tracking(): TrackingLike {
    return this.ctx.workspace.experiments as unknown as TrackingLike;
  }

  private async modelRecord(name: string): Promise<RegisteredModelRecord> {
    if (typeof name !== "string" || name.length === 0) throw invalid(["model"], "must be a non-empty string");
    const m = await this.store.getModel(name);
    if (!m) throw notFound("registered model", name);
    return m;
  }

  private async versionOf(model: RegisteredModelRecord, n: number): Promise<ModelVersionRecord> {
    if (!Number.isInteger(n) || n < 1) throw invalid(["version"], `must be a positive integer, got ${n}`);
    const v = await this.store.getVersion(model.id, n);
    if (!v) throw notFound("model version", `${model.name}@${n}`);
    if (v.deletedAt !== undefined) throw notFound("model version", `${model.name}@${n}`, "it was deleted");
    return v;
  }

  private async describeModel(m: RegisteredModelRecord): Promise<RegisteredModel> {
    const [aliases, latest] = await Promise.all([this.store.listAliases(m.id), this.store.latestVersion(m.id)]);
    return {
      ...m,
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
      ...(latest ? { latestVersion: latest.version } : {}),
    };
  }

  private async describeVersion(model: RegisteredModelRecord, v: ModelVersionRecord): Promise<ModelVersion> {
    const aliases = await this.store.listAliases(model.id);
    return {
      ...v,
      model: model.name,
      aliases: aliases.filter((a) => a.version === v.version).map((a) => a.alias),
    };
  }
}

/** Default mapping of a model's output to predictions for {@link ModelRegistry.evaluate}. */
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

function toPolicy(model: string, p: AliasPolicyRecord): AliasPolicy {
  return {
    model,
    alias: p.alias,
    requireApproval: p.requireApproval,
    ...(p.gate !== undefined ? { gate: p.gate } : {}),
    ...(p.gateDigest !== undefined ? { gateDigest: p.gateDigest } : {}),
    updatedAt: p.updatedAt,
  };
}

function checkModelName(name: unknown): string {
  checkName("model", name);
  if (!MODEL_NAME_RE.test(name as string))
    throw invalid(["model"], `'${name}' contains '@', which separates a model from its alias in references`);
  return name as string;
}

function checkAlias(alias: unknown): string {
  checkName("alias", alias, 250);
  const a = alias as string;
  if (a.includes("@") || a.includes("/")) throw invalid(["alias"], `'${a}' must not contain '@' or '/'`);
  if (isReservedAlias(a))
    throw invalid(["alias"], `'${a}' is reserved: 'latest' and version numbers (3, v3) name versions`, "reserved");
  return a;
}

function checkTags(tags: Record<string, string> | undefined): Record<string, string> {
  if (tags === undefined) return {};
  if (typeof tags !== "object" || tags === null || Array.isArray(tags))
    throw invalid(["tags"], "must be a record of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    checkKey("tag", k);
    out[k] = checkString(`tags.${k}`, v, 8000);
  }
  return out;
}

function checkMetrics(metrics: Record<string, number>): Record<string, number> {
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics))
    throw invalid(["metrics"], "must be a record of numbers");
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    checkKey("metric", k);
    if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(["metrics", k], "must be a finite number");
    out[k] = v;
  }
  return out;
}
