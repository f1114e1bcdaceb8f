/** Row types of the registry tables (the shape the Kysely registry stores read and write). */

/** A row of `registry_models`. */
export interface ModelRow {
  id: string;
  name: string;
  /** `foldModelName(name)`, what `nameLike` matches (NULL only on a row written before migration 0005). */
  name_folded?: string | null;
  description: string;
  created_at: number | string;
  updated_at: number | string;
}
/** A row of `registry_model_tags`. */
export interface TagRow {
  model_id: string;
  key: string;
  value: string;
}
/** A row of `registry_versions`. */
export interface VersionRow {
  id: string;
  model_id: string;
  version: number;
  flavor: string;
  flavor_meta: string;
  digest: string;
  size: number | string;
  signature: string | null;
  run_id: string | null;
  pipeline_run_id: string | null;
  step: string | null;
  metrics: string;
  tags: string;
  model_card: string;
  description: string;
  feature_service: string | null;
  created_by: string | null;
  created_at: number | string;
  deleted_at?: number | string | null;
}
/** A row of `registry_aliases`. */
export interface AliasRow {
  model_id: string;
  alias: string;
  version: number;
  updated_at: number | string;
}
/** A row of `registry_alias_events`. */
export interface AliasEventRow {
  id: string;
  model_id: string;
  alias: string;
  action: string;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  reason: string;
  at: number | string;
  seq: number | string | null;
}
/** A row of `registry_policies`. */
export interface PolicyRow {
  model_id: string;
  alias: string;
  require_approval: number;
  gate: string | null;
  gate_digest: string | null;
  updated_at: number | string;
}
/** A row of `registry_approvals`. */
export interface ApprovalRow {
  id: string;
  version_id: string;
  actor: string;
  comment: string;
  at: number | string;
}
/** A row of `registry_evaluations`. */
export interface EvaluationRow {
  id: string;
  version_id: string;
  gate: string | null;
  passed: number | null;
  run_id: string | null;
  result: string;
  at: number | string;
}
/** The registry tables, as Kysely sees them. */
export interface Tables {
  registry_models: ModelRow;
  registry_model_tags: TagRow;
  registry_versions: VersionRow;
  registry_aliases: AliasRow;
  registry_alias_events: AliasEventRow;
  registry_policies: PolicyRow;
  registry_approvals: ApprovalRow;
  registry_evaluations: EvaluationRow;
}
