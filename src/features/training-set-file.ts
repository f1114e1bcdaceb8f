import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MlcycleError } from "../core/errors.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { EngineTrainingView, OfflineEngine, SourceColumnKind } from "../stores/offline-engine.js";
import type { OfflineRow, OfflineStore } from "../stores/offline-store.js";
import type { HistoricalFeaturesOptions, SavedTrainingSet } from "./feature-types.js";
import { buildTrainingSet, planJoinKeys } from "./historical-retrieval.js";
import type { SelectionPlan } from "./selection-plan.js";
import { isFeatureSource, type SourceContext } from "./sources/feature-source.js";
import { checkEntityColumns } from "./sources/source-check.js";
import { kindOfValue } from "./sources/source-values.js";
import { sourceReader } from "./view-rows.js";

/** What {@link saveTrainingSetFile} works with. */
export interface TrainingSetFileDeps {
  offline: () => OfflineStore;
  artifacts: ArtifactStore | undefined;
  context: SourceContext;
}

/**
 * Builds a training set and saves it as a Parquet file in the artifact store (content-addressed:
 * its digest is the sha256 of the file). With entity rows from a source the offline store's engine
 * reads in place, and no on-demand features, the whole set is built and written by the engine —
 * nothing passes through JavaScript but the views whose sources only JavaScript reads (staged into
 * the engine chunk by chunk); otherwise it is built as `getHistoricalFeatures` builds it and its
 * rows are handed to the engine to write. Needs an offline store with an engine (`mlcycle/duckdb`):
 * `PRECONDITION` otherwise.
 */
export async function saveTrainingSetFile(
  deps: TrainingSetFileDeps,
  plan: SelectionPlan,
  options: HistoricalFeaturesOptions,
): Promise<Omit<SavedTrainingSet, "artifactId">> {
  const engine = deps.context.engine;
  if (!engine)
    throw new MlcycleError(
      "PRECONDITION",
      "saving a training set as Parquet needs an offline store with an engine that writes Parquet (mlcycle/duckdb's duckdbOfflineStore)",
    );
  if (!deps.artifacts) throw new MlcycleError("PRECONDITION", "this feature store has no artifact store to save to");
  const path = join(tmpdir(), `mlcycle-training-set-${randomUUID()}.parquet`);
  try {
    const inPlace = await inEngine(engine, plan, options, deps.context, path);
    let rows: number;
    if (inPlace) rows = inPlace.rows;
    else {
      const set = await buildTrainingSet(deps.offline, plan, options, deps.context);
      rows = (await engine.writeRows(path, columnKinds(set.rows), chunksOf(set.rows), options.signal)).rows;
    }
    const info = await deps.artifacts.put(createReadStream(path));
    const saved: Omit<SavedTrainingSet, "artifactId"> = {
      name: options.name ?? `training_set:${info.digest.slice(0, 12)}`,
      columns: plan.columns,
      features: plan.refs,
      rows,
      format: "parquet",
      digest: info.digest,
      size: info.size,
    };
    if (plan.service) saved.service = { name: plan.service.name, version: plan.service.version };
    return saved;
  } finally {
    await rm(path, { force: true });
  }
}

/** The engine-built path, when the entity rows are a source the engine reads and no feature is computed. */
async function inEngine(
  engine: OfflineEngine,
  plan: SelectionPlan,
  options: HistoricalFeaturesOptions,
  context: SourceContext,
  path: string,
): Promise<{ rows: number } | undefined> {
  const entities = options.entityRows;
  if (!isFeatureSource(entities) || plan.onDemand.length > 0) return undefined;
  const table = await entities.table(context);
  if (!table || !engine.reads(table)) return undefined;
  const columns = await engine.describe(table, options.signal);
  checkEntityColumns(entities, planJoinKeys(plan), columns);
  const time = columns.find((c) => c.name === entities.timestampField);
  const views: EngineTrainingView[] = [];
  for (const group of plan.stored) {
    const view = group.resolved;
    const features = view.def.features
      .filter((f) => group.features.some((g) => g.feature === f.name))
      .map((f) => ({ name: f.name, column: f.name, type: f.type }));
    const reader = sourceReader(view, context);
    let rows: EngineTrainingView["rows"];
    if (!reader) rows = { kind: "stored", view: view.def.name, features };
    else {
      const inPlace = await reader.engineTable(options.signal);
      rows = inPlace
        ? { kind: "table", view: inPlace }
        : {
            kind: "staged",
            features,
            rows: offlineChunks(
              reader.chunks({ chunkSize: 10_000, ...(options.signal ? { signal: options.signal } : {}) }),
            ),
          };
    }
    views.push({
      rows,
      ttlMs: view.def.ttlMs,
      entityKeys: view.joinKeys.map((k) => ({ column: k.name, type: k.type })),
      columns: group.features.flatMap((f) =>
        f.column === undefined ? [] : [{ feature: f.feature, column: f.column }],
      ),
    });
  }
  return engine.writeTrainingSet({
    entities: {
      table,
      time: { column: entities.timestampField, kind: time?.kind ?? "unknown" },
      columns: columns.map((c) => ({ name: entities.nameOf(c.name), column: c.name })),
    },
    views,
    path,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function* offlineChunks(chunks: AsyncIterable<{ rows: OfflineRow[] }>): AsyncIterable<readonly OfflineRow[]> {
  for await (const c of chunks) yield c.rows;
}

async function* chunksOf<T>(rows: readonly T[], size = 10_000): AsyncIterable<readonly T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/**
 * The columns of rows built in JavaScript, in first-seen order, each of the kind its values share:
 * integers, numbers (integers and fractions mixed), text, booleans, or JSON for anything else
 * (mixed kinds, arrays, objects); a column of nulls only is text.
 */
export function columnKinds(
  rows: ReadonlyArray<Record<string, unknown>>,
): Array<{ name: string; kind: SourceColumnKind }> {
  const kinds = new Map<string, SourceColumnKind | undefined>();
  for (const row of rows)
    for (const name in row) {
      const value = row[name];
      const kind = kindOfValue(value);
      const seen = kinds.get(name);
      if (!kinds.has(name)) kinds.set(name, kind);
      else if (kind === undefined || seen === kind || seen === "json") continue;
      else if (seen === undefined) kinds.set(name, kind);
      else if ((seen === "integer" && kind === "number") || (seen === "number" && kind === "integer"))
        kinds.set(name, "number");
      else kinds.set(name, "json");
    }
  return [...kinds].map(([name, kind]) => ({
    name,
    kind:
      kind === undefined
        ? "string"
        : kind === "integer" || kind === "number" || kind === "string" || kind === "boolean"
          ? kind
          : "json",
  }));
}
