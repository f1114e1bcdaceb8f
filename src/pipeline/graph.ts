/** One node of a pipeline graph: a step, or a map of a step over a list. */
export interface GraphNode {
  name: string;
  kind: "step" | "map";
  /** The step's own name and version (`code:<hash>` when it declares none). */
  step: string;
  version: string;
  /** Steps this one waits for (data and control edges). */
  dependsOn: string[];
  /** For a map: the list it maps over, e.g. `prepare.rows`. */
  over?: string;
  concurrency?: number;
  /** True when the step runs only if its condition holds. */
  conditional: boolean;
}

/**
 * One edge: `from` (a step or `params`) at member path `fromPath` feeds `to` at input path
 * `toPath`. `control` edges order steps without passing data (`after`, conditions); `map` edges
 * carry the list a map step fans out over.
 */
export interface GraphEdge {
  from: string;
  fromPath: string;
  to: string;
  toPath: string;
  kind: "data" | "control" | "map";
}

/** A pipeline's graph, known before anything runs. */
export interface PipelineGraph {
  pipeline: string;
  version: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  toString(): string;
}

/** Renders a graph as text, one line per step with what feeds it. */
export function formatGraph(g: Omit<PipelineGraph, "toString">): string {
  const lines = [`pipeline ${g.pipeline}@${g.version} (${g.nodes.length} step${g.nodes.length === 1 ? "" : "s"})`];
  const width = Math.max(0, ...g.nodes.map((n) => n.name.length));
  for (const n of g.nodes) {
    const feeds = g.edges
      .filter((e) => e.to === n.name && e.kind === "data")
      .map((e) => `${[e.from, e.fromPath].filter(Boolean).join(".")} → ${e.toPath || "(input)"}`);
    const after = g.edges.filter((e) => e.to === n.name && e.kind === "control").map((e) => e.from);
    const parts = [`  ${n.name.padEnd(width)}  ${n.kind === "map" ? "map " : ""}[${n.step}@${n.version}]`];
    if (n.kind === "map") parts.push(`over ${n.over}${n.concurrency ? ` (concurrency ${n.concurrency})` : ""}`);
    if (feeds.length) parts.push(`← ${feeds.join(", ")}`);
    if (after.length) parts.push(`after ${after.join(", ")}`);
    if (n.conditional) parts.push("(conditional)");
    lines.push(parts.join("  "));
  }
  return lines.join("\n");
}
