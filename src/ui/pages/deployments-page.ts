import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { KeyValues, Pending, Section, Status } from "../components/bits.js";
import { time } from "../format.js";
import { useApi } from "../use-api.js";

interface Deployment {
  name: string;
  live: { model: string; version: number } | null;
  predictions: number;
  more: boolean;
  traffic: Record<string, number>;
  experiments: string[];
  monitors: string[];
}

interface Experiment {
  name: string;
  deployment: string;
  kind: string;
  status: string;
  variants: Array<{ name: string; ref?: string; weight?: number }>;
  state: Record<string, unknown>;
  updatedAt: number;
}

/** An online experiment: traffic split, state (a canary's stage), history and, for a metric, the analysis. */
function ExperimentPanel(props: { name: string }) {
  const [metric, setMetric] = useState("outcome");
  const [asked, setAsked] = useState<string | undefined>();
  const e = useApi<{
    experiment: Experiment;
    history: Array<{ at: number; type?: string; action?: string; actor?: string; reason?: string }>;
    analysis: unknown;
  }>(`online/${encodeURIComponent(props.name)}`, { metric: asked });
  if (!e.data) return html`<${Pending} ...${e} />`;
  const x = e.data.experiment;
  return html`<div data-testid="experiment">
    <h3>${x.name} <span class="muted">${x.kind}</span> <${Status} value=${x.status} /></h3>
    <table><thead><tr><th>variant</th><th>serves</th><th class="num">weight</th></tr></thead>
      <tbody>${x.variants.map((v) => html`<tr><td>${v.name}</td><td>${v.ref ?? ""}</td><td class="num">${v.weight ?? ""}</td></tr>`)}</tbody></table>
    <h4>State</h4><${KeyValues} values=${x.state} />
    <form onSubmit=${(ev: Event) => {
      ev.preventDefault();
      setAsked(metric);
    }}>analysis of <input value=${metric} onInput=${(ev: Event) => setMetric((ev.target as HTMLInputElement).value)} /> <button>analyse</button></form>
    ${e.data.analysis ? html`<pre>${JSON.stringify(e.data.analysis, null, 2)}</pre>` : null}
    <h4>History</h4>
    <ul>${e.data.history.map((h) => html`<li>${time(h.at)} ${h.type ?? h.action ?? ""} ${h.actor ?? ""} ${h.reason ?? ""}</li>`)}</ul>
  </div>`;
}

/** Deployments with their recent traffic by version and variant, and their online experiments. */
export function DeploymentsPage() {
  const d = useApi<{ deployments: Deployment[]; experiments: Experiment[] }>("deployments");
  const [open, setOpen] = useState<string | undefined>();
  if (!d.data) return html`<${Pending} ...${d} />`;
  return html`<div>
    <h1>Deployments and online experiments</h1>
    <${Section} title="Deployments">
      <table data-testid="deployments"><thead><tr><th>deployment</th><th>serving now</th><th>recent traffic</th><th>experiments</th><th>monitors</th></tr></thead>
        <tbody>${d.data.deployments.map(
          (
            x,
          ) => html`<tr><td>${x.name}</td><td>${x.live ? `${x.live.model}@${x.live.version}` : html`<span class="muted">not in this process</span>`}</td>
            <td>${Object.entries(x.traffic).map(([k, n]) => html`<div>${k}: ${Math.round((100 * n) / Math.max(1, x.predictions))}% <span class="muted">(${n})</span></div>`)}
              <span class="muted">last ${x.predictions}${x.more ? "" : " (all)"} predictions</span></td>
            <td>${x.experiments.join(", ")}</td><td>${x.monitors.map((m) => html`<a href=${`#/monitors/${encodeURIComponent(m)}`}>${m}</a> `)}</td></tr>`,
        )}</tbody>
      </table>
    <//>
    <${Section} title="Online experiments">
      ${
        d.data.experiments.length === 0
          ? html`<p class="muted">none</p>`
          : html`<ul>${d.data.experiments.map((x) => html`<li><a href="javascript:void 0" onClick=${() => setOpen(x.name)}>${x.name}</a> ${x.kind} on ${x.deployment} <${Status} value=${x.status} /></li>`)}</ul>`
      }
      ${open ? html`<${ExperimentPanel} name=${open} />` : null}
    <//>
  </div>`;
}
