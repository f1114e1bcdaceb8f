import type { RunLeaseColumns } from "./sql-run-lease.js";

/** Row types of the pipeline tables (the shape the Kysely pipeline stores read and write). */

/** A row of `pipeline_runs`. */
export interface RunRow extends RunLeaseColumns {
  id: string;
  pipeline: string;
  version: string;
  status: string;
  params: string;
  tracking_run_id: string | null;
  trigger_name: string | null;
  options: string | null;
  created_at: number | string;
  updated_at: number | string;
  finished_at: number | string | null;
  error: string | null;
}
/** A row of `pipeline_steps`. */
export interface StepRow {
  run_id: string;
  step: string;
  status: string;
  attempts: number;
  claim_token: string | null;
  started_at: number | string | null;
  finished_at: number | string | null;
  error: string | null;
  cache_key: string | null;
  cache_components: string | null;
  cache_hit: number;
  output: string | null;
  tracking_run_id: string | null;
  reason: string | null;
  items: number | null;
  logs: string | null;
  updated_at: number | string;
}
/** A row of `pipeline_cache`. */
export interface CacheRow {
  key: string;
  base_key: string;
  step: string;
  components: string;
  output: string;
  run_id: string;
  created_at: number | string;
  expires_at: number | string | null;
}
/** The pipeline tables, as Kysely sees them. */
export interface Tables {
  pipeline_runs: RunRow;
  pipeline_steps: StepRow;
  pipeline_cache: CacheRow;
}

/** A value as a JSON column (undefined is NULL). */
export const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
