import type { PipelineStore } from "../pipeline-store.js";

/** The in-memory {@link PipelineStore}: the reference implementation. */
export class MemoryPipelineStore implements PipelineStore {}
