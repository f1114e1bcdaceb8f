/**
 * A lineage graph as a tree by parent: under each artifact, the executions that made it; under
 * each execution, the artifacts it read — following the graph's edges, not the hop counts. A node
 * reached again (lineage is a graph: a feature view feeds several training sets) is printed once
 * in full and then referred to.
 */
import type { LineageGraph, LineageNode } from "../../src/index.js";

function label(n: LineageNode): string {
  const digest = n.digest?.slice(0, 12);
  return `${n.type} ${n.name}${digest && !n.name.includes(digest) ? ` (${digest})` : ""}`;
}

/** The upstream graph of `ws.lineage.upstream(...)` as lines of a tree rooted at its root. */
export function upstreamTree(graph: LineageGraph): string[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const parents = new Map<string, LineageNode[]>();
  for (const e of graph.edges) {
    if (e.type !== "event") continue;
    // e.from is the execution, e.to the artifact: an artifact comes from the execution that output
    // it, an execution from the artifacts it read.
    const [child, parent] = e.direction === "output" ? [e.to, e.from] : [e.from, e.to];
    const node = byId.get(parent);
    if (!node || !byId.has(child)) continue;
    const list = parents.get(child) ?? [];
    if (!list.some((p) => p.id === node.id)) list.push(node);
    parents.set(child, list);
  }
  const order = (a: LineageNode, b: LineageNode) =>
    a.type.localeCompare(b.type) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  const lines = [label(graph.root)];
  const shown = new Set([graph.root.id]);
  const walk = (id: string, indent: string) => {
    const list = [...(parents.get(id) ?? [])].sort(order);
    list.forEach((p, i) => {
      const last = i === list.length - 1;
      const again = shown.has(p.id);
      lines.push(`${indent}${last ? "└─ " : "├─ "}${label(p)}${again && parents.has(p.id) ? " (as above)" : ""}`);
      if (again) return;
      shown.add(p.id);
      walk(p.id, indent + (last ? "   " : "│  "));
    });
  };
  walk(graph.root.id, "");
  return lines;
}
