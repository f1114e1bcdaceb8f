/** Events of the feature store on `ws.events`. */
export interface FeatureEvents {
  /** Rows of a feature view were stored in the offline store (by `ingest` or `push`). */
  "features.ingested": { view: string; rows: number };
  /** A materialisation run of a view completed; `until` is the event time (ms) it covered. */
  "features.materialized": { view: string; rows: number; until: number };
}
