import type { AliasAction } from "../stores/registry-store.js";

/** Payload of `model.version.created`. */
export interface ModelVersionCreatedEvent {
  model: string;
  version: number;
  versionId: string;
  flavor: string;
  digest: string;
  runId?: string;
  at: number;
}

/** Payload of `model.version.deleted`. */
export interface ModelVersionDeletedEvent {
  model: string;
  version: number;
  versionId: string;
  actor: string;
  reason: string;
  at: number;
}

/** Payload of `model.alias.moved` (also for rollbacks and deletions: see `action`). */
export interface ModelAliasMovedEvent {
  model: string;
  alias: string;
  action: AliasAction;
  /** Version before the move; undefined when the alias was new. */
  from?: number;
  /** Version after the move; undefined when the alias was deleted. */
  to?: number;
  actor: string;
  reason: string;
  at: number;
}

/** Payload of `model.approval.given`. */
export interface ModelApprovalGivenEvent {
  model: string;
  version: number;
  versionId: string;
  actor: string;
  comment: string;
  at: number;
}

/** Payload of `model.evaluation.recorded`. */
export interface ModelEvaluationRecordedEvent {
  model: string;
  version: number;
  versionId: string;
  gate?: string;
  passed?: boolean;
  metrics: Record<string, number>;
  at: number;
}

/** Events of the model registry on `ws.events`. */
export interface RegistryEvents {
  /** A model version was registered. */
  "model.version.created": ModelVersionCreatedEvent;
  /** A model version was deleted. */
  "model.version.deleted": ModelVersionDeletedEvent;
  /** An alias was set, rolled back or deleted (with its audit facts). */
  "model.alias.moved": ModelAliasMovedEvent;
  /** A version was approved. */
  "model.approval.given": ModelApprovalGivenEvent;
  /** An evaluation or gate result was stored with a version. */
  "model.evaluation.recorded": ModelEvaluationRecordedEvent;
}
