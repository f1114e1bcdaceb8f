import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { Pending, Section } from "../components/bits.js";
import { duration, num, time } from "../format.js";
import { useApi } from "../use-api.js";

interface View {
  name: string;
  entities: string[];
  ttlMs?: number;
  owner?: string;
  version?: number;
  features?: Array<{ name: string; type?: string }>;
  materialization: { until?: number } | null;
  lagMs?: number;
}

interface Features {
  entities: Array<{ name: string; joinKeys: Array<{ name: string; type: string }>; description?: string }>;
  views: View[];
  services: Array<{ name: string; features: string[] }>;
}

/** One view's column statistics, read when it is opened. */
function ViewStatistics(props: { name: string }) {
  const s = useApi<{
    statistics: { rows: number; from?: number; to?: number; features: Record<string, Record<string, unknown>> };
  }>(`features/views/${encodeURIComponent(props.name)}`);
  if (!s.data) return html`<${Pending} ...${s} />`;
  const st = s.data.statistics;
  const cols = Object.entries(st.features);
  const keys = [...new Set(cols.flatMap(([, f]) => Object.keys(f).filter((k) => typeof f[k] !== "object")))];
  return html`<div data-testid="statistics">
    <p class="muted">${st.rows} rows${st.from ? `, ${time(st.from)} to ${time(st.to)}` : ""}</p>
    <table><thead><tr><th>feature</th>${keys.map((k) => html`<th class="num">${k}</th>`)}</tr></thead>
      <tbody>${cols.map(([name, f]) => html`<tr><th>${name}</th>${keys.map((k) => html`<td class="num">${num(f[k])}</td>`)}</tr>`)}</tbody>
    </table>
  </div>`;
}

/** Entities, feature views with the freshness of their online values, services, and statistics. */
export function FeaturesPage() {
  const f = useApi<Features>("features");
  const [open, setOpen] = useState<string | undefined>();
  if (!f.data) return html`<${Pending} ...${f} />`;
  const { entities, views, services } = f.data;
  return html`<div>
    <h1>Feature store</h1>
    <${Section} title="Entities">
      <table data-testid="entities"><thead><tr><th>entity</th><th>join keys</th><th>description</th></tr></thead>
        <tbody>${entities.map(
          (e) =>
            html`<tr><td>${e.name}</td><td>${e.joinKeys.map((k) => `${k.name}: ${k.type}`).join(", ")}</td><td>${e.description ?? ""}</td></tr>`,
        )}</tbody>
      </table>
    <//>
    <${Section} title="Feature views">
      <table data-testid="views"><thead><tr><th>view</th><th>entities</th><th>features</th><th>TTL</th><th>online until</th><th>behind by</th><th>owner</th></tr></thead>
        <tbody>${views.map(
          (v) => html`<tr>
            <td><a href="javascript:void 0" onClick=${() => setOpen(v.name)}>${v.name}</a></td><td>${v.entities.join(", ")}</td>
            <td>${(v.features ?? []).map((c) => c.name).join(", ")}</td><td>${duration(v.ttlMs)}</td>
            <td>${v.materialization?.until ? time(v.materialization.until) : html`<span class="muted">not materialised</span>`}</td>
            <td>${duration(v.lagMs)}</td><td>${v.owner ?? ""}</td>
          </tr>`,
        )}</tbody>
      </table>
    <//>
    ${open ? html`<${Section} title=${`Statistics of ${open}`}><${ViewStatistics} name=${open} /><//>` : null}
    <${Section} title="Feature services">
      <ul>${services.map((s) => html`<li><strong>${s.name}</strong>: ${s.features.join(", ")}</li>`)}</ul>
    <//>
  </div>`;
}
