/** The offline feature store port: timestamped feature rows for point-in-time retrieval. */
// biome-ignore lint/suspicious/noEmptyInterface: defined by the features module's work
export interface OfflineStore {}
