import type { LineageBatchEdge, LineageNode, LineageNodeInput } from "./lineage-store.js";

/**
 * The model-registry metadata port: registered models, their numbered versions, aliases with an
 * audit trail, alias policies, approvals and stored evaluation results.
 *
 * Models are keyed by a store id so that a rename touches one row; every other record points to the
 * model id (or, for approvals and evaluations, to the version id).
 */

/** A registered model as stored. */
export interface RegisteredModelRecord {
  /** Store id (ULID). */
  id: string;
  /** Unique name. */
  name: string;
  description: string;
  tags: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** The signature of a version: JSON Schemas of what `predict` takes and returns. */
export interface SignatureRecord {
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** A model version as stored. */
export interface ModelVersionRecord {
  /** Store id (ULID): a version can be loaded by it alone. */
  id: string;
  modelId: string;
  /** 1, 2, 3… per model, assigned atomically by the store. */
  version: number;
  /** Name of the flavor that saved the artifact (`json`, `function`, `onnx`, …). */
  flavor: string;
  /** What the flavor needs besides the bytes to load the model (class name, input names…). */
  flavorMeta: Record<string, unknown>;
  /** sha256 of the artifact bytes in the artifact store. */
  digest: string;
  size: number;
  signature?: SignatureRecord;
  /** Tracking run the model came from. */
  runId?: string;
  /** Pipeline run and step the model came from. */
  pipelineRunId?: string;
  step?: string;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  /** Markdown model card. */
  modelCard: string;
  description: string;
  /** Name of the feature service the model reads its features from. */
  featureService?: string;
  /** Who registered the version. */
  createdBy?: string;
  createdAt: number;
  /** When the version was deleted (soft: the row and its number stay, so numbers are never reused). */
  deletedAt?: number;
}

/** Fields of a new version; the store assigns `id`, `version`. */
export type ModelVersionInput = Omit<ModelVersionRecord, "id" | "version">;

/** Where an alias points now. */
export interface AliasRecord {
  modelId: string;
  alias: string;
  version: number;
  updatedAt: number;
}

/** What an alias move did: `set` (promotion or any move), `rollback`, `delete`. */
export type AliasAction = "set" | "rollback" | "delete";

/** One audited alias move: who moved which alias from which version to which, when and why. */
export interface AliasEventRecord {
  /** Store id (ULID, sortable by time of the move). */
  id: string;
  modelId: string;
  alias: string;
  action: AliasAction;
  /** Version before the move (undefined when the alias did not exist). */
  from?: number;
  /** Version after the move (undefined when the alias was deleted). */
  to?: number;
  actor: string;
  reason: string;
  at: number;
}

/**
 * An alias move as a store announces it to every process using it ({@link RegistryStore.subscribeAliasMoves}):
 * which alias moved, from and to which version; the full audit record (actor, reason) is
 * `aliasEvents`' record of id `eventId`.
 */
export interface AliasMoveNotice {
  modelId: string;
  alias: string;
  action: AliasAction;
  /** Version before the move (undefined when the alias did not exist). */
  from?: number;
  /** Version after the move (undefined when the alias was deleted). */
  to?: number;
  /** The id of the move's audit record. */
  eventId: string;
  at: number;
}

/** A requested alias move, applied atomically with its audit record. */
export interface AliasMoveInput {
  action: AliasAction;
  /** Target version; undefined deletes the alias. */
  to?: number;
  actor: string;
  reason: string;
  at: number;
  /**
   * Compare-and-set: the version the caller saw the alias at (`null` = absent). When given and the
   * alias points elsewhere by now, the store throws `CONFLICT` and changes nothing.
   */
  expected?: number | null;
}

/** Where an alias points and the policy it has: what a move of it is checked against. */
export interface AliasState {
  /** Where the alias points now (undefined when absent). */
  alias?: AliasRecord;
  /** The alias's policy (undefined when it has none). */
  policy?: AliasPolicyRecord;
}

/** Requirements an alias puts on the version it points to. */
export interface AliasPolicyRecord {
  modelId: string;
  alias: string;
  /** The version must have at least one approval. */
  requireApproval: boolean;
  /** The version's latest evaluation against the gate of this name must have passed. */
  gate?: string;
  /**
   * When set, that evaluation must also have used exactly this gate definition (sha256 of its
   * canonical JSON), so a laxer gate under the same name does not count.
   */
  gateDigest?: string;
  updatedAt: number;
}

/** An approval of a version. */
export interface ApprovalRecord {
  id: string;
  versionId: string;
  actor: string;
  comment: string;
  at: number;
}

/** A stored evaluation of a version: metrics and/or a gate result, as JSON. */
export interface EvaluationRecord {
  id: string;
  versionId: string;
  /** Name of the gate checked, when a gate result was stored. */
  gate?: string;
  /** Whether the gate passed, when a gate result was stored. */
  passed?: boolean;
  /** Tracking run the metrics were also logged to. */
  runId?: string;
  /** The gate result, evaluation result and whatever else the caller stored (JSON). */
  result: Record<string, unknown>;
  at: number;
}

/**
 * The lineage of a new version, built from the version as numbered by the store: nodes and edges as
 * in `LineageStore.putBatch` (edge ends are node ids or indexes into `nodes`).
 */
export type VersionLineageBuilder = (version: ModelVersionRecord) => {
  nodes: readonly LineageNodeInput[];
  edges: readonly LineageBatchEdge[];
};

/**
 * Case-folds a model name or a `nameLike` pattern the way every registry store compares them:
 * `String.prototype.toLowerCase()` (full Unicode, locale-independent), so `"über%"` matches
 * `"Über Model"` on every backend.
 */
export function foldModelName(name: string): string {
  return name.toLowerCase();
}

/** Filter of {@link RegistryStore.listModels}. */
export interface ModelFilter {
  /**
   * SQL LIKE pattern on the name (`%` any run, `_` one character, `\` a literal), case-insensitive:
   * pattern and name are both compared after {@link foldModelName} (Unicode lower case, not only
   * ASCII).
   */
  nameLike?: string;
  /** Every given tag must be set to the given value. */
  tags?: Record<string, string>;
  /** Only names sorting after this one (cursor pagination). */
  after?: string;
  /** At most this many (default 100). */
  limit?: number;
}

/** Changes to a registered model. */
export interface ModelPatch {
  name?: string;
  description?: string;
  /** Tags to set (string) or delete (null). */
  tags?: Record<string, string | null>;
  updatedAt: number;
}

/** Changes to a model version (the artifact, flavor and number never change). */
export interface VersionPatch {
  description?: string;
  modelCard?: string;
  /** Tags to set (string) or delete (null). */
  tags?: Record<string, string | null>;
  /** Metrics to add or overwrite. */
  metrics?: Record<string, number>;
  /** Marks the version deleted. */
  deletedAt?: number;
}

/**
 * The registry port. Required: every method. Built-ins: memory (the reference) and SQL. Checked by
 * `registryStoreSuite` in `mlcycle/testing`.
 *
 * Atomicity the port guarantees, also across processes sharing one database: `createModel` rejects a
 * duplicate name with `CONFLICT`; `createVersion` gives distinct consecutive numbers; `moveAlias`
 * changes the alias and appends its audit record together, honouring `expected`.
 */
export interface RegistryStore {
  /** Adds a model; `CONFLICT` when the name is taken. */
  createModel(input: Omit<RegisteredModelRecord, "id">): Promise<RegisteredModelRecord>;
  /** A model by name, or undefined. */
  getModel(name: string): Promise<RegisteredModelRecord | undefined>;
  /** A model by id, or undefined. */
  getModelById(id: string): Promise<RegisteredModelRecord | undefined>;
  /** Models matching the filter, by name. */
  listModels(filter?: ModelFilter): Promise<RegisteredModelRecord[]>;
  /** Renames, describes, tags; `CONFLICT` on a taken name, `NOT_FOUND` on an unknown id. */
  updateModel(id: string, patch: ModelPatch): Promise<RegisteredModelRecord>;

  /** Adds the next version of a model (number = highest + 1, atomically). */
  createVersion(input: ModelVersionInput): Promise<ModelVersionRecord>;
  /**
   * Optional: adds the next version (as {@link createVersion}) together with its lineage nodes and
   * edges, built by `lineage` from the numbered version, as one unit of work (one transaction on
   * SQL): either both are stored or neither. Returns the version and the stored nodes in input
   * order. A store lacking it gets `createVersion` followed by separate lineage writes, which a
   * crash between them can leave without lineage.
   */
  createVersionWithLineage?(
    input: ModelVersionInput,
    lineage: VersionLineageBuilder,
  ): Promise<{ version: ModelVersionRecord; lineage: LineageNode[] }>;
  /** A version by model id and number (deleted or not), or undefined. */
  getVersion(modelId: string, version: number): Promise<ModelVersionRecord | undefined>;
  /** A version by id (deleted or not), or undefined. */
  getVersionById(id: string): Promise<ModelVersionRecord | undefined>;
  /** The highest-numbered version that is not deleted, or undefined. */
  latestVersion(modelId: string): Promise<ModelVersionRecord | undefined>;
  /** Versions of a model (deleted ones included), by number ascending. */
  listVersions(modelId: string): Promise<ModelVersionRecord[]>;
  /** Updates a version's description, card, tags, metrics, deletion; `NOT_FOUND` on an unknown id. */
  updateVersion(id: string, patch: VersionPatch): Promise<ModelVersionRecord>;

  /** Where an alias points, or undefined. */
  getAlias(modelId: string, alias: string): Promise<AliasRecord | undefined>;
  /**
   * Optional: {@link getAlias} and {@link getPolicy} of one alias in one read (one statement on
   * SQL). A store lacking it gets both calls.
   */
  getAliasState?(modelId: string, alias: string): Promise<AliasState>;
  /** Every alias of a model, by name. */
  listAliases(modelId: string): Promise<AliasRecord[]>;
  /** Moves (or deletes) an alias and appends the audit record, atomically. */
  moveAlias(modelId: string, alias: string, move: AliasMoveInput): Promise<AliasEventRecord>;
  /** Audit records of a model's aliases (one alias when given), in reverse order of commit. */
  aliasEvents(modelId: string, alias?: string, limit?: number): Promise<AliasEventRecord[]>;
  /**
   * Optional: calls `listener` with every alias move committed from now on by any process using the
   * same store (this one included), within moments of the commit, until the returned function is
   * called. It resolves once listening has begun. A store that cannot announce moves across
   * processes lacks it: deployments then learn of other processes' moves by polling the alias
   * (`pollIntervalMs`), as they still do beside it, to cover a notice missed while a connection was
   * re-established. Built-in: PostgreSQL (`LISTEN`/`NOTIFY`, the notice sent in the move's own
   * transaction).
   */
  subscribeAliasMoves?(listener: (move: AliasMoveNotice) => void): Promise<() => Promise<void>>;

  /** Sets or (with `undefined`) removes the policy of an alias. */
  setPolicy(modelId: string, alias: string, policy: AliasPolicyRecord | undefined): Promise<void>;
  /** The policy of an alias, or undefined. */
  getPolicy(modelId: string, alias: string): Promise<AliasPolicyRecord | undefined>;
  /** Every policy of a model. */
  listPolicies(modelId: string): Promise<AliasPolicyRecord[]>;

  /** Records an approval of a version. */
  addApproval(input: Omit<ApprovalRecord, "id">): Promise<ApprovalRecord>;
  /** Approvals of a version, oldest first. */
  listApprovals(versionId: string): Promise<ApprovalRecord[]>;

  /** Stores an evaluation of a version. */
  addEvaluation(input: Omit<EvaluationRecord, "id">): Promise<EvaluationRecord>;
  /** Evaluations of a version, oldest first. */
  listEvaluations(versionId: string): Promise<EvaluationRecord[]>;
}
