import { html } from "htm/preact";
import { KeyValues, Pending, Section } from "../components/bits.js";
import { GraphView } from "../components/graph-view.js";
import { Markdown } from "../components/markdown.js";
import { time } from "../format.js";
import type { LineageNode } from "../types.js";
import { useApi } from "../use-api.js";

interface VersionDetail {
  version: {
    version: number;
    modelCard: string;
    description: string;
    metrics: Record<string, number>;
    tags: Record<string, string>;
    digest: string;
    runId?: string;
    pipelineRunId?: string;
  };
  evaluations: Array<{ id: string; gate?: string; passed?: boolean; at: number; result: Record<string, unknown> }>;
  approvals: Array<{ actor: string; comment?: string; at: number }>;
  lineage: { nodes: LineageNode[]; edges: Array<{ type: string; from: string; to: string; direction?: string }> };
}

/** One version: model card rendered, evaluations and gates, approvals, and its lineage as a graph. */
export function VersionPanel(props: { name: string; version: string }) {
  const v = useApi<VersionDetail>(
    `models/${encodeURIComponent(props.name)}/versions/${encodeURIComponent(props.version)}`,
  );
  if (!v.data) return html`<${Pending} ...${v} />`;
  const { version, evaluations, approvals, lineage } = v.data;
  // Lineage edges run execution → artifact; drawn in the direction data flowed: inputs into executions, executions into outputs.
  const edges = lineage.edges
    .filter((e) => e.type === "event")
    .map((e) => (e.direction === "input" ? { from: e.to, to: e.from } : { from: e.from, to: e.to }));
  return html`<div data-testid="version">
    <h2>Version ${version.version}</h2>
    <div class="grid2">
      <${Section} title="Model card">
        ${version.modelCard ? html`<${Markdown} text=${version.modelCard} />` : html`<p class="muted">no model card</p>`}
      <//>
      <${Section} title="Metrics"><${KeyValues} values=${version.metrics} /><h3>Tags</h3><${KeyValues} values=${version.tags} /><//>
    </div>
    <${Section} title="Evaluations and gates">
      ${
        evaluations.length === 0
          ? html`<p class="muted">none recorded</p>`
          : html`<table data-testid="evaluations"><thead><tr><th>when</th><th>gate</th><th>result</th><th>details</th></tr></thead>
            <tbody>${evaluations.map(
              (e) => html`<tr><td>${time(e.at)}</td><td>${e.gate ?? ""}</td>
                <td>${e.passed === undefined ? "" : html`<span class=${`badge badge-${e.passed ? "passed" : "failed"}`}>${e.passed ? "passed" : "failed"}</span>`}</td>
                <td><details><summary>result</summary><pre>${JSON.stringify(e.result, null, 2)}</pre></details></td></tr>`,
            )}</tbody></table>`
      }
      ${approvals.length > 0 ? html`<h3>Approvals</h3><ul>${approvals.map((a) => html`<li>${a.actor} ${time(a.at)} ${a.comment ?? ""}</li>`)}</ul>` : null}
    <//>
    <${Section} title="Lineage">
      ${
        lineage.nodes.length === 0
          ? html`<p class="muted">no lineage recorded</p>`
          : html`<div class="scroll"><${GraphView}
              nodes=${lineage.nodes.map((n) => ({ id: n.id, label: n.type, sub: n.name.length > 28 ? `${n.name.slice(0, 27)}…` : n.name, className: `ln-${n.kind}` }))}
              edges=${edges} /></div>`
      }
    <//>
  </div>`;
}
