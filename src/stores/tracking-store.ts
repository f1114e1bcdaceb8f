/** The tracking metadata port (experiments, runs, params, tags, metrics, artifacts, inputs). */
// biome-ignore lint/suspicious/noEmptyInterface: defined by the tracking module's work
export interface TrackingStore {}
