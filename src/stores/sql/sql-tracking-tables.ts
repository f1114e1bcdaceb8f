import type { Kysely } from "kysely";
import { notFound } from "../../core/errors.js";
import type { ExperimentLifecycle, ExperimentRecord, RunPatch, RunRecord, StoredRunStatus } from "../tracking-store.js";

/** A row of `tracking_experiments`. */
export interface ExperimentRow {
  id: string;
  name: string;
  description: string | null;
  tags: string;
  lifecycle: string;
  created_at: number | string;
  updated_at: number | string;
}

/** A row of `tracking_runs`. */
export interface RunRow {
  id: string;
  experiment_id: string;
  name: string;
  status: string;
  parent_run_id: string | null;
  start_time: number | string;
  end_time: number | string | null;
  heartbeat_at: number | string;
  error: string | null;
  lifecycle: string;
}

/** The {@link ExperimentRecord} of a row. */
export const toExperiment = (r: ExperimentRow): ExperimentRecord => {
  const e: ExperimentRecord = {
    id: r.id,
    name: r.name,
    tags: JSON.parse(r.tags),
    lifecycle: r.lifecycle as ExperimentLifecycle,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
  if (r.description !== null) e.description = r.description;
  return e;
};

/** The {@link RunRecord} of a row. */
export const toRun = (r: RunRow): RunRecord => {
  const run: RunRecord = {
    id: r.id,
    experimentId: r.experiment_id,
    name: r.name,
    status: r.status as StoredRunStatus,
    startTime: Number(r.start_time),
    heartbeatAt: Number(r.heartbeat_at),
  };
  if (r.parent_run_id !== null) run.parentRunId = r.parent_run_id;
  if (r.end_time !== null) run.endTime = Number(r.end_time);
  if (r.error !== null) run.error = r.error;
  if (r.lifecycle === "deleted") run.lifecycle = "deleted";
  return run;
};

/** The `tracking_runs` columns a {@link RunPatch} sets. */
export function runColumns(patch: RunPatch): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.endTime !== undefined) set.end_time = patch.endTime;
  if (patch.error !== undefined) set.error = patch.error;
  if (patch.heartbeatAt !== undefined) set.heartbeat_at = patch.heartbeatAt;
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.lifecycle !== undefined) set.lifecycle = patch.lifecycle;
  return set;
}

/** NaN is stored as NULL (SQLite REAL cannot hold it); ±Infinity round-trip natively. */
export const toDb = (v: number) => (Number.isNaN(v) ? null : v);
/** A stored metric value back to a number (NULL is NaN). */
export const fromDb = (v: number | string | null) => (v === null ? Number.NaN : Number(v));

/** The run columns of `tracking_runs as r`, as a search selects them. */
export const RUN_COLUMNS = [
  "r.id",
  "r.experiment_id",
  "r.name",
  "r.status",
  "r.parent_run_id",
  "r.start_time",
  "r.end_time",
  "r.heartbeat_at",
  "r.error",
  "r.lifecycle",
] as const;

/** The columns of `tracking_runs` in the order a prepared insert binds them. */
export const RUN_INSERT_COLUMNS = [
  "id",
  "experiment_id",
  "name",
  "status",
  "parent_run_id",
  "start_time",
  "end_time",
  "heartbeat_at",
  "error",
  "lifecycle",
] as const;

/** The columns of `tracking_metrics` (and `tracking_latest_metrics`) in the order a prepared insert binds them. */
export const METRIC_COLUMNS = ["run_id", "key", "step", "timestamp", "value"] as const;

const CHUNK = 500;

/** `items` in slices of at most `size` (the bound-parameter budget of one statement). */
export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Throws `NOT_FOUND` unless run `id` exists (read through `trx`). */
export async function requireRun(trx: Kysely<any>, id: string): Promise<void> {
  const r = await trx.selectFrom("tracking_runs").select("id").where("id", "=", id).executeTakeFirst();
  if (!r) throw notFound("run", id);
}
