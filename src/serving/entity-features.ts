import { invalid, MlcycleError } from "../core/errors.js";
import type { FeatureStatus, OnlineFeatureRow, OnlineFeatures } from "../features/feature-types.js";
import type { FeatureServingOptions } from "./deployment-types.js";
import type { ServingFeatures } from "./serving-options.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads the online features of entity rows from a feature service, for a feature-enriched call.
 * Each row's request `values` are passed with its entity keys (so on-demand features compute from
 * them exactly as in training sets), and a value whose name is a column of the service replaces the
 * stored one (status `present`, no event time).
 */
export async function readEntityFeatures(
  features: ServingFeatures,
  service: string,
  entities: ReadonlyArray<Record<string, unknown>>,
  values: ReadonlyArray<Record<string, unknown>> | undefined,
): Promise<OnlineFeatures> {
  if (!Array.isArray(entities) || entities.length === 0)
    throw invalid(["entities"], "must be a non-empty array of entity key objects");
  entities.forEach((e, i) => {
    if (!isRecord(e)) throw invalid(["entities", i], "must be an object of entity keys");
  });
  if (values !== undefined) {
    if (!Array.isArray(values) || values.length !== entities.length)
      throw invalid(["values"], `must be an array with one object per entity (${entities.length})`);
    values.forEach((v, i) => {
      if (!isRecord(v)) throw invalid(["values", i], "must be an object of feature or request values");
    });
  }
  const requests = values ? entities.map((e, i) => ({ ...e, ...values[i] })) : entities;
  const online = await features.getOnlineFeatures(requests, { service });
  if (!values) return online;
  const columns = new Set(online.columns);
  const rows = online.rows.map((row, i): OnlineFeatureRow => {
    const given = Object.entries(values[i]).filter(([k]) => columns.has(k));
    if (given.length === 0) return row;
    const out: OnlineFeatureRow = {
      values: { ...row.values },
      status: { ...row.status } as Record<string, FeatureStatus>,
      eventTime: { ...row.eventTime },
    };
    for (const [k, v] of given) {
      out.values[k] = v;
      (out.status as Record<string, FeatureStatus>)[k] = "present";
      out.eventTime[k] = null;
    }
    return out;
  });
  return { columns: online.columns, rows };
}

/** The model inputs of feature rows: `toInputs` when given, else one array per row, the columns in order. */
export function entityInputs(online: OnlineFeatures, options: FeatureServingOptions | undefined): unknown {
  const values = online.rows.map((r) => r.values);
  if (options?.toInputs) return options.toInputs(values, online.columns);
  return values.map((v) => online.columns.map((c) => v[c]));
}

/** `PRECONDITION` for a feature-enriched call that has no feature service to read. */
export function noFeatureService(what: string): MlcycleError {
  return new MlcycleError(
    "PRECONDITION",
    `${what} was not registered with a feature service: register it with { featureService } or deploy with { features: { service } }`,
  );
}
