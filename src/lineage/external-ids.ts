/**
 * The external ids that tie lineage nodes to the domain objects they stand for. Every module names
 * its nodes through these, so a node recorded by one module is found by another (a model version
 * names the tracking run and step run that produced it; a training set names its feature views).
 *
 * @example
 * ```ts
 * await ws.lineage.upstream({ kind: "artifact", externalId: lineageIds.modelVersion("churn", 2) });
 * ```
 */
export const lineageIds = {
  /** A tracking run (execution). */
  run: (runId: string) => `run:${runId}`,
  /** A tracking experiment (context). */
  experiment: (experimentId: string) => `experiment:${experimentId}`,
  /** A dataset input, by content digest (artifact). */
  dataset: (digest: string) => `dataset:${digest}`,
  /** A pipeline run (context). */
  pipelineRun: (runId: string) => `pipeline_run:${runId}`,
  /** One step of a pipeline run (execution). */
  stepRun: (runId: string, step: string) => `step_run:${runId}/${step}`,
  /** A step output, by content hash (artifact). */
  stepOutput: (hash: string) => `step_output:${hash}`,
  /** A registered model version (artifact). */
  modelVersion: (name: string, version: number) => `model_version:${name}/${version}`,
  /** A feature view (artifact). */
  featureView: (name: string) => `feature_view:${name}`,
  /** A feature service (artifact). */
  featureService: (name: string) => `feature_service:${name}`,
  /** A point-in-time training set, by digest (artifact). */
  trainingSet: (digest: string) => `training_set:${digest}`,
  /** The stored outputs of a batch prediction, by digest (artifact). */
  predictions: (digest: string) => `predictions:${digest}`,
  /** One batch prediction run of a deployment (execution). */
  batchPrediction: (id: string) => `batch_prediction:${id}`,
} as const;
