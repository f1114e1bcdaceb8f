import { closedError, invalid } from "../core/errors.js";
import type { SliceSpec } from "../evaluation/index.js";
import type { EvaluationRecord, ApprovalRecord } from "../stores/registry-store.js";
import type { ModelFlavor } from "../stores/model-flavor.js";
import type { PredictFactory } from "./flavors/function-flavor.js";
import type { JsonClassOptions, JsonModelClass } from "./flavors/json-flavor.js";
import type { AliasMoveSeen } from "./alias-move-feed.js";
import type { ModelLoader } from "./model-loader.js";
import type { ModelRef } from "./model-ref.js";
import type { ModelRegistryOptions } from "./registry-options.js";
import type {
  AliasMove,
  AliasPolicy,
  AuditOptions,
  EvaluateVersionOptions,
  EvaluateVersionResult,
  LoadedModel,
  LoadOptions,
  ModelVersion,
  PolicyOptions,
  RecordEvaluationOptions,
  RegisteredModel,
  RegisterOptions,
  ResolvedVersion,
  SlicedEvaluateVersionResult,
  VersionUpdate,
} from "./registry-types.js";
import { checkAlias, checkModelName } from "./registry-validation.js";
import {
  approveOptionsSchema,
  auditSchema,
  checkStringArgument,
  evaluateOptionsSchema,
  historyOptionsSchema,
  listVersionsOptionsSchema,
  loadOptionsSchema,
  parseArgument,
  policySchema,
  recordEvaluationOptionsSchema,
  registerOptionsSchema,
  registryOptionsSchema,
  versionPatchSchema,
} from "./registry-arguments.js";
import { type RegistryParts, wireRegistry } from "./registry-wiring.js";

/**
 * `ws.registry`: registered models, numbered versions, aliases with an audit trail and rollback,
 * promotion policies (approval, passing gate), loading with digest and signature checks, and the
 * flavors that save and load models. A {@link ModelLoader}: serving loads versions through it.
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
export class ModelRegistry implements ModelLoader {
  private readonly parts: RegistryParts;
  private closed = false;

  /**
   * Built by the workspace (`ws.registry`) with its stores, events, clock, lineage and tracking.
   * `options.flavors` adds flavors beyond the built-in `json` and `function` ones (the same as
   * calling {@link registerFlavor} for each).
   */
  constructor(options: ModelRegistryOptions) {
    parseArgument("options", registryOptionsSchema, options ?? null);
    this.parts = wireRegistry(options, () => this.closed);
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
    this.live();
    this.parts.flavors.add(flavor);
    return this;
  }

  /** A registered flavor by name; `NOT_FOUND` naming the known ones. */
  flavor(name: string): ModelFlavor {
    return this.parts.flavors.get(name);
  }

  /** Makes a class loadable by the `json` flavor (ml.js models and anything with toJSON + static load). */
  registerModelClass<M>(cls: JsonModelClass<M>, options?: JsonClassOptions<M>): this {
    this.live();
    this.parts.flavors.json.registerClass(cls, options);
    return this;
  }

  /** Registers a predict factory for the `function` flavor (see `functionModel`). */
  registerFunction<S>(name: string, factory: PredictFactory<S>): this {
    this.live();
    this.parts.flavors.functions.registerFactory(name, factory);
    return this;
  }

  // ---------------------------------------------------------------- registered models

  /** Creates a registered model; `CONFLICT` when the name is taken, `VALIDATION` on a bad name. */
  async createModel(name: string, options: { description?: string; tags?: Record<string, string> } = {}) {
    this.live();
    return this.parts.models.create(name, options);
  }

  /** A registered model by name; `NOT_FOUND` naming it. */
  async getModel(name: string): Promise<RegisteredModel> {
    this.live();
    return this.parts.models.get(name);
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
    this.live();
    return this.parts.models.search(filter);
  }

  /** Every registered model (up to `limit`, default 100), by name. */
  async listModels(options: { after?: string; limit?: number } = {}): Promise<RegisteredModel[]> {
    this.live();
    return this.parts.models.list(options);
  }

  /** Renames a model; versions, aliases and history follow. `CONFLICT` when the new name is taken. */
  async renameModel(name: string, newName: string): Promise<RegisteredModel> {
    this.live();
    return this.parts.models.rename(name, newName);
  }

  /** Sets a model's description. */
  async updateModel(name: string, patch: { description?: string }): Promise<RegisteredModel> {
    this.live();
    return this.parts.models.update(name, patch);
  }

  /** Sets one tag of a model. */
  async setModelTag(name: string, key: string, value: string): Promise<void> {
    this.live();
    return this.parts.models.setTag(name, key, value);
  }

  /** Removes one tag of a model (absent tags are fine). */
  async deleteModelTag(name: string, key: string): Promise<void> {
    this.live();
    return this.parts.models.deleteTag(name, key);
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
    this.live();
    checkModelName(name);
    if (options === null || typeof options !== "object") throw invalid(["options"], "register() needs options");
    parseArgument("options", registerOptionsSchema, options);
    return this.parts.versions.register(name, options);
  }

  /** A version by reference (`iris@champion`, `iris@3`, `iris@latest`, version id); `NOT_FOUND` naming it. */
  async getVersion(ref: ModelRef): Promise<ModelVersion> {
    this.live();
    return this.parts.versions.get(ref);
  }

  /** The versions of a model, by number (deleted ones only with `includeDeleted`). */
  async listVersions(name: string, options: { includeDeleted?: boolean } = {}): Promise<ModelVersion[]> {
    this.live();
    checkStringArgument("model", name);
    return this.parts.versions.list(name, parseArgument("options", listVersionsOptionsSchema, options));
  }

  /** Updates a version's description, model card, tags (null deletes) or adds metrics. */
  async updateVersion(ref: ModelRef, patch: VersionUpdate): Promise<ModelVersion> {
    this.live();
    parseArgument("patch", versionPatchSchema, patch);
    return this.parts.versions.update(ref, patch);
  }

  /** Sets one tag of a version. */
  async setVersionTag(ref: ModelRef, key: string, value: string): Promise<void> {
    this.live();
    checkStringArgument("key", key);
    checkStringArgument("value", value);
    await this.parts.versions.update(ref, { tags: { [key]: value } });
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
    this.live();
    return this.parts.versions.delete(ref, parseArgument("audit", auditSchema, audit));
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
    this.live();
    return this.parts.aliases.set(name, alias, target, audit);
  }

  /** Alias of {@link setAlias}, for the vocabulary of promotions. */
  async promote(name: string, alias: string, target: number | ModelRef, audit: AuditOptions = {}): Promise<AliasMove> {
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
    this.live();
    checkStringArgument("model", name);
    return this.parts.aliases.rollback(name, alias, parseArgument("audit", auditSchema, audit));
  }

  /** Removes an alias (audited as `delete`); `NOT_FOUND` when it does not exist. */
  async deleteAlias(name: string, alias: string, audit: AuditOptions = {}): Promise<AliasMove> {
    this.live();
    checkStringArgument("model", name);
    return this.parts.aliases.delete(name, alias, parseArgument("audit", auditSchema, audit));
  }

  /** Where each alias of a model points: alias → version number. */
  async aliases(name: string): Promise<Record<string, number>> {
    this.live();
    checkStringArgument("model", name);
    return this.parts.aliases.current(name);
  }

  /** The audit trail of a model's aliases (one alias when given), newest first. */
  async aliasHistory(name: string, alias?: string, options: { limit?: number } = {}): Promise<AliasMove[]> {
    this.live();
    checkStringArgument("model", name);
    return this.parts.aliases.history(name, alias, parseArgument("options", historyOptionsSchema, options));
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
    this.live();
    checkStringArgument("model", name);
    parseArgument("policy", policySchema, policy ?? null);
    return this.parts.policies.set(name, alias, policy);
  }

  /** The policy of an alias, or undefined. */
  async getPolicy(name: string, alias: string): Promise<AliasPolicy | undefined> {
    this.live();
    checkStringArgument("model", name);
    checkAlias(alias);
    return this.parts.policies.get(name, alias);
  }

  /** Removes the policy of an alias. */
  async removePolicy(name: string, alias: string): Promise<void> {
    this.live();
    checkStringArgument("model", name);
    checkAlias(alias);
    return this.parts.policies.remove(name, alias);
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
    this.live();
    return this.parts.policies.approve(ref, parseArgument("options", approveOptionsSchema, options));
  }

  /** Approvals of a version, oldest first. */
  async approvals(ref: ModelRef): Promise<ApprovalRecord[]> {
    this.live();
    return this.parts.policies.approvals(ref);
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
    this.live();
    parseArgument("options", recordEvaluationOptionsSchema, options ?? null);
    return this.parts.evaluations.record(ref, options);
  }

  /** Stored evaluations of a version, oldest first. */
  async evaluations(ref: ModelRef): Promise<EvaluationRecord[]> {
    this.live();
    return this.parts.evaluations.list(ref);
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
  evaluate(
    candidateRef: ModelRef,
    options: EvaluateVersionOptions & { slices: SliceSpec[] },
  ): Promise<SlicedEvaluateVersionResult>;
  /** Evaluates a version against a baseline and stores the outcome (see the overload with `slices`). */
  evaluate(candidateRef: ModelRef, options: EvaluateVersionOptions): Promise<EvaluateVersionResult>;
  async evaluate(candidateRef: ModelRef, options: EvaluateVersionOptions): Promise<EvaluateVersionResult> {
    this.live();
    parseArgument("options", evaluateOptionsSchema, options ?? null);
    return this.parts.evaluations.evaluate(candidateRef, options);
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
    this.live();
    parseArgument("options", loadOptionsSchema, options);
    return this.parts.loader.load<I, O>(ref, options);
  }

  /** Resolves a reference to its model and version records; `NOT_FOUND` naming what is missing. */
  async resolve(ref: ModelRef): Promise<ResolvedVersion> {
    this.live();
    return this.parts.resolver.resolve(ref);
  }

  /**
   * Calls `listener` with every alias move committed from now on by any process sharing the
   * registry's store (this one included), as the store announces it (PostgreSQL: `LISTEN`/`NOTIFY`),
   * until the returned function is called; resolves once the store listens. Resolves to undefined
   * when the store cannot announce moves across processes (memory, SQLite): other processes' moves
   * are then seen by re-reading the alias. Deployments following an alias use it to hot-swap at
   * once; moves made through this registry are also `model.alias.moved` events.
   *
   * @example
   * ```ts
   * const stop = await ws.registry.watchAliasMoves((m) => console.log(`${m.model}@${m.alias} → ${m.to}`));
   * await stop?.();
   * ```
   */
  async watchAliasMoves(listener: (move: AliasMoveSeen) => void): Promise<(() => Promise<void>) | undefined> {
    this.live();
    if (!this.parts.aliasMoves.supported) return undefined;
    return this.parts.aliasMoves.watch(listener);
  }

  /**
   * Nothing to flush: every write is committed when its call returns. Every call after it is
   * `UNAVAILABLE` (`closedError()`); closing twice is fine. Stops listening to alias moves.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.parts.schemas.clear();
    await this.parts.aliasMoves.close();
  }

  private live(): void {
    if (this.closed) throw closedError();
  }
}
