import type { PipelineRunRecord, StepRunRecord, Workspace } from "../../index.js";

/** A pipeline run's graph as the dashboard draws it: its steps and what feeds each. */
export interface StepGraph {
  /** `definition`: from the pipeline's definition (known to this process); `lineage`: from the step runs' recorded inputs. */
  source: "definition" | "lineage";
  nodes: Array<{ name: string; kind: string; conditional?: boolean }>;
  edges: Array<{ from: string; to: string; kind: string }>;
}

/**
 * The graph of a run: from its definition when this process knows it (registered or run here),
 * otherwise from lineage — each step run's inputs are other steps' outputs, named `<pipeline>/<step>`.
 */
export async function stepGraph(ws: Workspace, run: PipelineRunRecord, steps: StepRunRecord[]): Promise<StepGraph> {
  const definition = ws.pipelines.definitions().find((p) => p.name === run.pipeline && p.version === run.version);
  if (definition) {
    const g = definition.graph();
    const names = new Set(g.nodes.map((n) => n.name));
    return {
      source: "definition",
      nodes: g.nodes.map((n) => ({ name: n.name, kind: n.kind, conditional: n.conditional })),
      // Edges from `params` are the run's parameters, not a step: left out of the drawing.
      edges: dedupe(
        g.edges.filter((e) => names.has(e.from) && names.has(e.to)).map((e) => ({ ...e, kind: e.kind as string })),
      ),
    };
  }
  const names = new Set(steps.map((s) => s.step));
  const edges: StepGraph["edges"] = [];
  const prefix = `${run.pipeline}/`;
  for (const s of steps) {
    const node = await ws.lineage.find({ kind: "execution", externalId: `step_run:${run.id}/${s.step}` });
    if (!node) continue;
    const up = await ws.lineage.upstream(node.id, { maxHops: 1 });
    for (const n of up.nodes) {
      if (n.hops !== 1 || n.type !== "step_output" || !n.name.startsWith(prefix)) continue;
      const from = n.name.slice(prefix.length);
      if (names.has(from) && from !== s.step) edges.push({ from, to: s.step, kind: "data" });
    }
  }
  return { source: "lineage", nodes: steps.map((s) => ({ name: s.step, kind: "step" })), edges: dedupe(edges) };
}

function dedupe(edges: StepGraph["edges"]): StepGraph["edges"] {
  const seen = new Map<string, StepGraph["edges"][number]>();
  for (const e of edges) if (!seen.has(`${e.from}\0${e.to}`)) seen.set(`${e.from}\0${e.to}`, e);
  return [...seen.values()];
}
