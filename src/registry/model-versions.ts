import type { Clock } from "../core/clock.js";
import { invalid, isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { checkKey, checkName, checkString } from "../core/validation.js";
import { lineageIds } from "../lineage/external-ids.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { LineageBatchEdge, LineageNodeInput } from "../stores/lineage-store.js";
import type { ModelVersionInput, ModelVersionRecord, RegistryStore } from "../stores/registry-store.js";
import type { ModelFlavors } from "./flavors/model-flavors.js";
import type { ModelRef } from "./model-ref.js";
import type { ModelResolver } from "./model-resolver.js";
import type { RegistryEvents } from "./registry-events.js";
import type { RegistryLineage, RegistryRunAccess } from "./registry-options.js";
import type { AuditOptions, ModelVersion, RegisterOptions, VersionUpdate } from "./registry-types.js";
import { checkActor, checkMetrics, checkModelName, checkTags } from "./registry-validation.js";
import { isRunUri, parseRunUri, type RunArtifactRef } from "./run-uri.js";
import { isZodSchema, type SchemaLike, signatureRecord, validatorFor } from "./signature.js";

/** What {@link ModelVersions} is built with. */
export interface ModelVersionsDeps {
  store: RegistryStore;
  artifacts: ArtifactStore;
  clock: Clock;
  events: EventBus<RegistryEvents>;
  resolver: ModelResolver;
  flavors: ModelFlavors;
  lineage: RegistryLineage;
  tracking: Pick<RegistryRunAccess, "getRun" | "readArtifact">;
  /** Zod schemas of versions registered in this process, by version id (written here, read by the loader). */
  schemas: Map<string, SchemaLike>;
  /** Commit a version and its lineage through `store.createVersionWithLineage` when it has it. */
  versionLineageInStore?: boolean;
}

/** Model versions: registration (bytes, signature, source, lineage), reading, updating and deletion. */
export class ModelVersions {
  constructor(private readonly deps: ModelVersionsDeps) {}

  /** See `ModelRegistry.register`. */
  async register(name: string, options: RegisterOptions): Promise<ModelVersion> {
    const { store, artifacts, clock, tracking, resolver } = this.deps;
    checkModelName(name);
    if (!options || typeof options !== "object") throw invalid(["options"], "register() needs options");
    const sources = [options.model !== undefined, options.bytes !== undefined, options.fromRun !== undefined];
    if (sources.filter(Boolean).length !== 1) throw invalid(["model"], "give exactly one of model, bytes or fromRun");
    const fromRun = runArtifactOf(options);
    const modelObject = fromRun && isRunUri(options.model) ? undefined : options.model;
    const tags = checkTags(options.tags);
    const metrics = options.metrics === undefined ? undefined : checkMetrics(options.metrics);
    const modelCard = checkString("modelCard", options.modelCard ?? "", 1_000_000);
    const description = checkString("description", options.description ?? "", 100_000);
    if (options.featureService !== undefined) checkName("featureService", options.featureService);
    if (options.step !== undefined) checkName("step", options.step);
    if (options.pipelineRunId !== undefined) checkKey("pipelineRunId", options.pipelineRunId);
    if (options.runId !== undefined) checkKey("runId", options.runId);
    if (fromRun && options.runId !== undefined && options.runId !== fromRun.runId)
      throw invalid(["runId"], `names run ${options.runId}, but the model comes from run ${fromRun.runId}`);
    const runId = fromRun?.runId ?? options.runId;
    const signature = signatureRecord(options.signature);
    // A stored schema another process cannot rebuild would only fail at load time: refuse it now.
    if (signature?.inputs && !isZodSchema(options.signature?.inputs))
      validatorFor(signature.inputs, `signature inputs of ${name}`);
    const actor = checkActor(options.actor);

    const flavor = this.deps.flavors.pick(options.flavor, modelObject);
    let bytes: Uint8Array;
    let meta: Record<string, unknown> = options.flavorMeta ?? {};
    if (fromRun) {
      bytes = await tracking.readArtifact(fromRun.runId, fromRun.path);
    } else if (options.bytes !== undefined) {
      if (!(options.bytes instanceof Uint8Array)) throw invalid(["bytes"], "must be a Uint8Array");
      bytes = options.bytes;
    } else {
      const saved = await flavor.save(modelObject, { options: options.flavorOptions ?? {} });
      bytes = saved.bytes;
      meta = { ...(saved.meta ?? {}), ...(options.flavorMeta ?? {}) };
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
      const run = await tracking.getRun(runId);
      // JSON has no NaN or ±Infinity: only finite latest values are copied.
      runMetrics = Object.fromEntries(Object.entries(run.metrics).filter(([, v]) => Number.isFinite(v)));
      runName = run.name;
    }

    let model = await store.getModel(name);
    if (!model) {
      if (options.createModel === false) throw notFound("registered model", name);
      const now = clock.now();
      try {
        model = await store.createModel({ name, description: "", tags: {}, createdAt: now, updatedAt: now });
      } catch (error) {
        // Another process created it between our read and write: use theirs.
        if (!isMlcycleError(error, "CONFLICT")) throw error;
        model = await resolver.model(name);
      }
    }

    const { digest, size } = await artifacts.put(bytes);
    const input: ModelVersionInput = {
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
      createdAt: clock.now(),
    };
    const record = await this.createWithLineage(name, input, runName);
    if (options.signature?.inputs !== undefined) this.deps.schemas.set(record.id, options.signature.inputs);

    this.deps.events.emit("model.version.created", {
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

  /** See `ModelRegistry.getVersion`. */
  async get(ref: ModelRef): Promise<ModelVersion> {
    const { model, version } = await this.deps.resolver.resolve(ref);
    return this.deps.resolver.describeVersion(model, version);
  }

  /** See `ModelRegistry.listVersions`. */
  async list(name: string, options: { includeDeleted?: boolean } = {}): Promise<ModelVersion[]> {
    const { store } = this.deps;
    const model = await this.deps.resolver.model(name);
    const [versions, aliases] = await Promise.all([store.listVersions(model.id), store.listAliases(model.id)]);
    return versions
      .filter((v) => options.includeDeleted || v.deletedAt === undefined)
      .map((v) => ({
        ...v,
        model: model.name,
        aliases: aliases.filter((a) => a.version === v.version).map((a) => a.alias),
      }));
  }

  /** See `ModelRegistry.updateVersion`. */
  async update(ref: ModelRef, patch: VersionUpdate): Promise<ModelVersion> {
    const { model, version } = await this.deps.resolver.resolve(ref);
    const tags: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(patch.tags ?? {})) {
      checkKey("tag", k);
      tags[k] = v === null ? null : checkString(`tags.${k}`, v, 8000);
    }
    const updated = await this.deps.store.updateVersion(version.id, {
      ...(patch.description !== undefined
        ? { description: checkString("description", patch.description, 100_000) }
        : {}),
      ...(patch.modelCard !== undefined ? { modelCard: checkString("modelCard", patch.modelCard, 1_000_000) } : {}),
      tags,
      ...(patch.metrics ? { metrics: checkMetrics(patch.metrics) } : {}),
    });
    return this.deps.resolver.describeVersion(model, updated);
  }

  /** See `ModelRegistry.deleteVersion`. */
  async delete(ref: ModelRef, audit: AuditOptions = {}): Promise<ModelVersion> {
    const { store } = this.deps;
    const { model, version } = await this.deps.resolver.resolve(ref);
    const actor = checkActor(audit.actor);
    const reason = checkString("reason", audit.reason ?? "", 8000);
    const pointing = (await store.listAliases(model.id)).filter((a) => a.version === version.version);
    if (pointing.length)
      throw new MlcycleError(
        "PRECONDITION",
        `${model.name}@${version.version} is the target of alias ${pointing.map((a) => `'${a.alias}'`).join(", ")}: ` +
          "move or delete the alias first",
        { details: { model: model.name, version: version.version, aliases: pointing.map((a) => a.alias) } },
      );
    const at = this.deps.clock.now();
    const updated = await store.updateVersion(version.id, {
      deletedAt: at,
      tags: { "mlcycle.deleted_by": actor, "mlcycle.delete_reason": reason },
    });
    this.deps.events.emit("model.version.deleted", {
      model: model.name,
      version: version.version,
      versionId: version.id,
      actor,
      reason,
      at,
    });
    return { ...updated, model: model.name, aliases: [] };
  }

  /**
   * Numbers and stores the version together with its lineage: in one unit of work when the store has
   * `createVersionWithLineage` (a crash leaves both or neither), else one after the other.
   */
  private async createWithLineage(
    name: string,
    input: ModelVersionInput,
    runName: string | undefined,
  ): Promise<ModelVersionRecord> {
    const { store, lineage } = this.deps;
    if (!this.deps.versionLineageInStore || !store.createVersionWithLineage) {
      const record = await store.createVersion(input);
      await this.recordLineage(name, record, runName);
      return record;
    }
    const producers = producersOf(input, runName);
    // Keep the nodes the owning modules recorded (their names and types); only add the output events.
    const existing = await Promise.all(
      producers.map((p) => lineage.find({ kind: "execution", externalId: p.externalId })),
    );
    const { version } = await store.createVersionWithLineage(input, (v) => {
      const nodes: LineageNodeInput[] = [{ kind: "artifact", ...versionArtifact(name, v) }];
      const edges: LineageBatchEdge[] = [];
      producers.forEach((p, i) => {
        let from: string | number | undefined = existing[i]?.id;
        if (from === undefined) {
          from = nodes.length;
          nodes.push({ kind: "execution", ...p });
        }
        edges.push({ type: "event", from, to: 0, direction: "output", slot: "model" });
      });
      return { nodes, edges };
    });
    return version;
  }

  private async recordLineage(name: string, v: ModelVersionRecord, runName: string | undefined): Promise<void> {
    const { lineage } = this.deps;
    const artifact = await lineage.recordArtifact(versionArtifact(name, v));
    for (const p of producersOf(v, runName)) {
      // Keep the node the owning module recorded (its name and type); only add the output event.
      const existing = await lineage.find({ kind: "execution", externalId: p.externalId });
      if (existing) await lineage.addEvent(existing.id, artifact.id, "output", "model");
      else await lineage.recordExecution({ ...p, outputs: [{ artifact: artifact.id, slot: "model" }] });
    }
  }
}

/** The lineage artifact node of a version. */
function versionArtifact(name: string, v: ModelVersionRecord) {
  return {
    type: "model_version",
    name: `${name}/${v.version}`,
    externalId: lineageIds.modelVersion(name, v.version),
    digest: v.digest,
    properties: { model: name, version: v.version, versionId: v.id, flavor: v.flavor },
  };
}

/** The executions that produced a version: its tracking run and its pipeline step, when known. */
function producersOf(
  v: Pick<ModelVersionRecord, "runId" | "pipelineRunId" | "step">,
  runName: string | undefined,
): Array<{ externalId: string; type: string; name: string }> {
  const producers: Array<{ externalId: string; type: string; name: string }> = [];
  if (v.runId !== undefined)
    producers.push({ externalId: lineageIds.run(v.runId), type: "tracking_run", name: runName ?? v.runId });
  if (v.pipelineRunId !== undefined && v.step !== undefined)
    producers.push({ externalId: lineageIds.stepRun(v.pipelineRunId, v.step), type: "step_run", name: v.step });
  return producers;
}

/** The run artifact a registration takes its bytes from: `fromRun` or a `runs:/` URI as `model`. */
function runArtifactOf(options: RegisterOptions): RunArtifactRef | undefined {
  if (isRunUri(options.model)) return parseRunUri(options.model);
  const from = options.fromRun;
  if (from === undefined) return undefined;
  if (typeof from === "string") return parseRunUri(from);
  if (typeof from !== "object" || from === null) throw invalid(["fromRun"], "must be { runId, path } or a runs:/ URI");
  checkKey("fromRun.runId", from.runId);
  checkString("fromRun.path", from.path, 1000);
  return { runId: from.runId, path: from.path };
}
