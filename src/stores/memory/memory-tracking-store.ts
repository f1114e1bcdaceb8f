import type { TrackingStore } from "../tracking-store.js";

/** The in-memory {@link TrackingStore}: the reference implementation. */
export class MemoryTrackingStore implements TrackingStore {}
