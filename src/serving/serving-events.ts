import type { MlcycleErrorCode } from "../core/errors.js";

/** Payload of `deployment.ready`: a deployment loaded and warmed its model(s) and takes calls. */
export interface DeploymentReadyEvent {
  deployment: string;
  /** The reference served (`churn@champion`), or `routine:<name>` for a composite routine. */
  ref: string;
  /** The model and version answering (for a routine: its first model). */
  model: string;
  version: number;
  versionId: string;
  at: number;
}

/**
 * Payload of `deployment.swapped`: the alias a deployment serves moved, and the new version was
 * loaded and warmed; it takes every call from now on. Calls that had started finish on the old
 * version, which is closed once they have drained.
 */
export interface DeploymentSwappedEvent {
  deployment: string;
  model: string;
  alias: string;
  /** The routine's name for the model (composite routines only). */
  step?: string;
  /** Version served before, and now. */
  from: number;
  to: number;
  fromVersionId: string;
  toVersionId: string;
  at: number;
}

/**
 * Payload of `deployment.swap_failed`: the alias moved (or could not be read) but the new version
 * could not be loaded or warmed. The deployment keeps serving `current`; `health().lastError` says why.
 */
export interface DeploymentSwapFailedEvent {
  deployment: string;
  model: string;
  alias: string;
  step?: string;
  /** The version still serving. */
  current: number;
  /** The version the alias points at, when it could be read. */
  target?: number;
  code: MlcycleErrorCode;
  error: string;
  at: number;
}

/** Payload of `deployment.log_failed`: prediction log rows could not be written (they are kept and retried). */
export interface DeploymentLogFailedEvent {
  deployment: string;
  code: MlcycleErrorCode;
  error: string;
  /** Rows waiting to be written. */
  backlog: number;
  /** Rows dropped since the deployment started (backlog over its bound, or records the store refused). */
  dropped: number;
  at: number;
}

/** Payload of `deployment.closed`. */
export interface DeploymentClosedEvent {
  deployment: string;
  served: number;
  failed: number;
  at: number;
}

/** Payload of `deployment.batch.progress`, after each chunk of a batch prediction. */
export interface BatchPredictionProgressEvent {
  deployment: string;
  chunks: number;
  rows: number;
  at: number;
}

/** Payload of `deployment.batch.completed`. */
export interface BatchPredictionCompletedEvent {
  deployment: string;
  model: string;
  version: number;
  rows: number;
  chunks: number;
  /** The predictions artifact, when the results were stored. */
  digest?: string;
  at: number;
}

/** Events of `ws.serving` on `ws.events`. */
export interface ServingEvents {
  /** A deployment is ready. */
  "deployment.ready": DeploymentReadyEvent;
  /** A deployment moved to the version its alias now points at. */
  "deployment.swapped": DeploymentSwappedEvent;
  /** A swap failed: the old version keeps serving. */
  "deployment.swap_failed": DeploymentSwapFailedEvent;
  /** Prediction log rows could not be written. */
  "deployment.log_failed": DeploymentLogFailedEvent;
  /** A deployment was closed. */
  "deployment.closed": DeploymentClosedEvent;
  /** A chunk of a batch prediction was done. */
  "deployment.batch.progress": BatchPredictionProgressEvent;
  /** A batch prediction finished. */
  "deployment.batch.completed": BatchPredictionCompletedEvent;
}
