import type { FeatureRegistryStore } from "../feature-registry-store.js";

/** The in-memory {@link FeatureRegistryStore}: the reference implementation. */
export class MemoryFeatureRegistryStore implements FeatureRegistryStore {}
