/** The online feature store port: latest feature values per entity key, with event time and TTL. */
// biome-ignore lint/suspicious/noEmptyInterface: defined by the features module's work
export interface OnlineStore {}
