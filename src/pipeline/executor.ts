/** The executor port: runs "step S of pipeline run R" somewhere (in process, or on workers). */
// biome-ignore lint/suspicious/noEmptyInterface: defined by the pipeline module's work
export interface Executor {}
