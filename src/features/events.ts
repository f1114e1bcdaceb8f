/** Events of the feature store, merged into the workspace's typed event map. */
declare module "../core/events.js" {
  interface MlcycleEvents {
    /** Rows of a feature view were stored in the offline store (by `ingest` or `push`). */
    "features.ingested": { view: string; rows: number };
    /** A materialisation run of a view completed; `until` is the event time (ms) it covered. */
    "features.materialized": { view: string; rows: number; until: number };
  }
}

export {};
