import { invalid } from "../core/errors.js";
import { canonicalJson, sha256 } from "../core/hash.js";
import type { FeatureViewStatistics } from "../features/statistics.js";
import type { TrainingSet } from "../features/feature-types.js";
import type { Lineage } from "../lineage/lineage.js";
import { lineageIds } from "../lineage/external-ids.js";
import type { MonitorModelRef, ReferenceProfileRecord } from "../stores/monitor-store.js";
import type { MonitorConfig } from "./monitor-settings.js";
import {
  type ProfileSettings,
  profileFromStatistics,
  profiledColumns,
  profileRows,
  type ReferenceProfile,
} from "./reference-profile.js";

/**
 * Where a reference profile comes from:
 * - `{ rows }`: a data set given as rows (objects with the monitor's columns);
 * - `{ trainingSet }`: a point-in-time training set (`ws.features.getHistoricalFeatures`), linked in lineage;
 * - `{ statistics }`: a feature view's statistics (`ws.features.statistics(view)`), linked in lineage;
 * - `{ predictions }`: a time range of the monitored deployment's prediction log (its rows are read into memory).
 */
export type ReferenceSource =
  | { rows: ReadonlyArray<Record<string, unknown>>; name?: string }
  | { trainingSet: TrainingSet }
  | { statistics: FeatureViewStatistics }
  | { predictions: { from?: number; to?: number; deployment?: string } };

/** A model version as the registry gives it (`ModelVersion`) or named directly. */
export type ReferenceModel = MonitorModelRef | { model: string; version: number; id: string };

/** Options of `monitor.setReference`. */
export interface SetReferenceOptions {
  /**
   * The model version the reference describes (a `ModelVersion` from the registry will do). A
   * deployment's monitor compares each window with the reference of the version that answered it.
   */
  model?: ReferenceModel;
}

/** A stored reference profile, as `setReference` and `references()` report it. */
export interface MonitorReference {
  monitor: string;
  version: number;
  model?: MonitorModelRef;
  source: Record<string, unknown>;
  rows: number;
  digest: string;
  createdAt: number;
}

/** The model version of the options, checked. */
export function referenceModel(m: ReferenceModel | undefined): MonitorModelRef | undefined {
  if (m === undefined) return undefined;
  if (typeof m !== "object" || m === null || typeof m.model !== "string" || !Number.isSafeInteger(m.version))
    throw invalid(["model"], "must be a model version: { model, version, versionId? } or a ModelVersion");
  const versionId = "versionId" in m && m.versionId !== undefined ? m.versionId : "id" in m ? m.id : undefined;
  return { model: m.model, version: m.version, ...(versionId !== undefined ? { versionId } : {}) };
}

/** What kind of source it is, checked: `VALIDATION` for anything else. */
export function sourceKind(source: ReferenceSource): "rows" | "trainingSet" | "statistics" | "predictions" {
  if (typeof source !== "object" || source === null)
    throw invalid(["source"], "must be { rows }, { trainingSet }, { statistics } or { predictions }");
  const keys = (["rows", "trainingSet", "statistics", "predictions"] as const).filter((k) => k in source);
  if (keys.length !== 1)
    throw invalid(["source"], "must have exactly one of rows, trainingSet, statistics or predictions");
  const k = keys[0];
  if (k === "rows" && !Array.isArray((source as { rows: unknown }).rows))
    throw invalid(["source", "rows"], "must be an array of rows");
  if (k === "trainingSet" && !Array.isArray((source as { trainingSet: TrainingSet }).trainingSet?.rows))
    throw invalid(["source", "trainingSet"], "must be a training set (getHistoricalFeatures' result)");
  if (k === "statistics" && typeof (source as { statistics: FeatureViewStatistics }).statistics?.features !== "object")
    throw invalid(["source", "statistics"], "must be a feature view's statistics (ws.features.statistics)");
  return k;
}

/** A digest of a profile: sha256 of its canonical JSON. */
export function profileDigest(profile: unknown): string {
  return sha256(canonicalJson(profile));
}

/**
 * Records a reference profile in lineage: a `reference_profile` artifact made by a `profiling`
 * execution that read the source (training set, feature view) and the model version it describes,
 * so the model version's downstream shows its reference and the profile's upstream its data.
 * Returns the profile's node id.
 */
export async function recordReferenceLineage(
  lineage: Lineage,
  ref: ReferenceProfileRecord,
  inputs: { trainingSetArtifact?: string; featureView?: string },
): Promise<string> {
  const profile = await lineage.recordArtifact({
    type: "reference_profile",
    name: `${ref.monitor}/reference/${ref.version}`,
    externalId: lineageIds.referenceProfile(ref.monitor, ref.version),
    digest: ref.digest,
    properties: {
      monitor: ref.monitor,
      version: ref.version,
      rows: ref.rows,
      source: ref.source.kind,
      ...(ref.model ? { model: ref.model.model, modelVersion: ref.model.version } : {}),
    },
  });
  const io: Array<{ artifact: string; slot: string }> = [];
  if (inputs.trainingSetArtifact) {
    const ts = await lineage.find(inputs.trainingSetArtifact);
    if (ts) io.push({ artifact: ts.id, slot: "training_set" });
  }
  if (inputs.featureView) {
    const fv = await lineage.find({ kind: "artifact", externalId: lineageIds.featureView(inputs.featureView) });
    if (fv) io.push({ artifact: fv.id, slot: "feature_view" });
  }
  if (ref.model) {
    const externalId = lineageIds.modelVersion(ref.model.model, ref.model.version);
    const mv =
      (await lineage.find({ kind: "artifact", externalId })) ??
      (await lineage.recordArtifact({
        type: "model_version",
        name: `${ref.model.model}/${ref.model.version}`,
        externalId,
        properties: { model: ref.model.model, version: ref.model.version, versionId: ref.model.versionId ?? null },
      }));
    io.push({ artifact: mv.id, slot: "model" });
  }
  await lineage.recordExecution({
    type: "profiling",
    name: ref.monitor,
    externalId: lineageIds.profiling(ref.monitor, ref.version),
    properties: { monitor: ref.monitor, version: ref.version, at: ref.createdAt },
    inputs: io,
    outputs: [{ artifact: profile.id, slot: "reference" }],
  });
  return profile.id;
}

/** A profile built from a source, with how the source is described and what lineage links it to. */
export interface ProfiledSource {
  profile: ReferenceProfile;
  source: Record<string, unknown>;
  lineage: { trainingSetArtifact?: string; featureView?: string };
}

/**
 * Profiles a reference source for a monitor's columns: rows and training sets row by row, a feature
 * view's statistics from its samples and top categories, a prediction log range from the rows
 * `readLog` gives (the monitored deployment's unless the source names another).
 */
export async function profileSource(
  source: ReferenceSource,
  config: MonitorConfig,
  log: {
    deployment?: string;
    readLog(deployment: string, from?: number, to?: number): Promise<Array<Record<string, unknown>>>;
  },
): Promise<ProfiledSource> {
  const kind = sourceKind(source);
  const settings: ProfileSettings = {
    sampleSize: config.sampleSize,
    maxCategories: config.maxCategories,
    ...(config.idColumn !== undefined ? { idColumn: config.idColumn } : {}),
  };
  const columns = profiledColumns(config);
  if (kind === "rows") {
    const s = source as { rows: ReadonlyArray<Record<string, unknown>>; name?: string };
    return {
      profile: profileRows(s.rows, columns, settings),
      source: { kind: "rows", ...(s.name !== undefined ? { name: String(s.name) } : {}) },
      lineage: {},
    };
  }
  if (kind === "trainingSet") {
    const set = (source as { trainingSet: TrainingSet }).trainingSet;
    return {
      profile: profileRows(set.rows, columns, settings),
      source: { kind: "training_set", name: set.name, digest: set.digest },
      lineage: set.artifactId ? { trainingSetArtifact: set.artifactId } : {},
    };
  }
  if (kind === "statistics") {
    const stats = (source as { statistics: FeatureViewStatistics }).statistics;
    return {
      profile: profileFromStatistics(stats, columns, settings),
      source: { kind: "feature_view_statistics", view: stats.view, version: stats.version },
      lineage: { featureView: stats.view },
    };
  }
  const range = (source as { predictions: { from?: number; to?: number; deployment?: string } }).predictions ?? {};
  const deployment = range.deployment ?? log.deployment;
  if (!deployment) throw invalid(["source", "predictions", "deployment"], "name the deployment whose log to read");
  const rows = await log.readLog(deployment, range.from, range.to);
  return {
    profile: profileRows(rows, columns, settings),
    source: {
      kind: "predictions",
      deployment,
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: range.to } : {}),
    },
    lineage: {},
  };
}
