/** The pipeline-run metadata port (pipeline runs, step runs, cache entries, schedules). */
// biome-ignore lint/suspicious/noEmptyInterface: defined by the pipeline module's work
export interface PipelineStore {}
