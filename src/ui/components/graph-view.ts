import { Graph, layout } from "@dagrejs/dagre";
import { html } from "htm/preact";

/** A node of a {@link GraphView}: its id, its label, and a CSS class (its status). */
export interface GraphNodeView {
  id: string;
  label: string;
  sub?: string;
  className?: string;
}

/** A directed graph laid out left to right by dagre and drawn as SVG; nodes are clickable. */
export function GraphView(props: {
  nodes: GraphNodeView[];
  edges: Array<{ from: string; to: string }>;
  onSelect?: (id: string) => void;
  selected?: string;
}) {
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of props.nodes)
    g.setNode(n.id, { width: Math.max(110, 9 * Math.max(n.label.length, (n.sub ?? "").length) + 24), height: 46 });
  for (const e of props.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  layout(g);
  const size = g.graph();
  const width = (size.width ?? 200) + 4;
  const height = (size.height ?? 100) + 4;
  return html`<svg class="graph" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} data-testid="graph">
    <defs>
      <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
        <path d="M0,0 L10,5 L0,10 z" fill="#64748b" />
      </marker>
    </defs>
    ${g.edges().map((e) => {
      const pts: Array<{ x: number; y: number }> = g.edge(e).points ?? [];
      const d = pts.map((p, i) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" ");
      return html`<path class="edge" d=${d} marker-end="url(#arrow)" />`;
    })}
    ${props.nodes.map((n) => {
      const p = g.node(n.id);
      if (!p) return null;
      const x = p.x - p.width / 2;
      const y = p.y - p.height / 2;
      return html`<g class=${`node ${n.className ?? ""} ${props.selected === n.id ? "selected" : ""}`}
        data-node=${n.id} onClick=${() => props.onSelect?.(n.id)}>
        <rect x=${x} y=${y} width=${p.width} height=${p.height} rx="6" />
        <text x=${p.x} y=${p.y - 4} text-anchor="middle" class="label">${n.label}</text>
        ${n.sub ? html`<text x=${p.x} y=${p.y + 13} text-anchor="middle" class="sub">${n.sub}</text>` : null}
      </g>`;
    })}
  </svg>`;
}
