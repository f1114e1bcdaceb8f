import type { RegistryStore } from "../registry-store.js";

/** The in-memory {@link RegistryStore}: the reference implementation. */
export class MemoryRegistryStore implements RegistryStore {}
