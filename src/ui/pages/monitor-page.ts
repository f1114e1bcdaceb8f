import { html } from "htm/preact";
import { Pending, Section } from "../components/bits.js";
import { LineChart } from "../components/line-chart.js";
import { num, time } from "../format.js";
import type { Alert } from "../types.js";
import { useApi } from "../use-api.js";
import { AlertList } from "./monitors-page.js";

interface Window {
  window: number;
  start: number;
  end: number;
  rows: number;
  reference?: number;
  model?: { name?: string; version?: number };
  figures: Record<string, number>;
}

/** Figures named `<prefix><column>` as one series per column, over the windows' start times. */
function seriesOf(windows: Window[], match: (name: string) => string | undefined) {
  const names = [...new Set(windows.flatMap((w) => Object.keys(w.figures)))].sort();
  return names.flatMap((name) => {
    const label = match(name);
    if (label === undefined) return [];
    return [{ label, points: windows.map((w) => [w.start, w.figures[name] ?? null] as [number, number | null]) }];
  });
}

/** A monitor: drift per column over time, data quality and performance figures, its alerts. */
export function MonitorPage(props: { name: string }) {
  const m = useApi<{ status: { name: string; deployment?: string; alerts: Alert[] }; windows: Window[] }>(
    `monitors/${encodeURIComponent(props.name)}`,
  );
  const alerts = useApi<{ items: Alert[] }>("alerts", { monitor: props.name });
  if (!m.data) return html`<${Pending} ...${m} />`;
  const { windows } = m.data;
  const drift = seriesOf(windows, (n) =>
    n.startsWith("drift.") && n.split(".").length === 2 ? n.slice(6) : undefined,
  );
  const overall = seriesOf(windows, (n) =>
    ["drift_share", "dataset_drift", "prediction_drift"].includes(n) ? n : undefined,
  );
  const quality = seriesOf(windows, (n) =>
    n.startsWith("missing_share") || n.startsWith("quality.") || n.startsWith("missing.") ? n : undefined,
  );
  // Scores only (counts such as true_positives have a scale of their own).
  const performance = seriesOf(windows, (n) =>
    n.startsWith("performance.") && !/count|_positives|_negatives/.test(n) ? n.slice(12) : undefined,
  );
  const last = windows[windows.length - 1];
  return html`<div>
    <p class="crumbs"><a href="#/monitors">monitors</a> / ${props.name}</p>
    <h1>${props.name}</h1>
    <p class="muted">${m.data.status.deployment ? `watching ${m.data.status.deployment} · ` : ""}${windows.length} windows</p>
    <${Section} title="Drift per column over time">
      <div class="charts">
        ${drift.length > 0 ? html`<${LineChart} title="drift per column (the test's p-value or distance)" series=${drift} time=${true} />` : html`<p class="muted">no drift figures</p>`}
        ${overall.length > 0 ? html`<${LineChart} title="dataset drift" series=${overall} time=${true} />` : null}
      </div>
    <//>
    <div class="charts">
      ${quality.length > 0 ? html`<${Section} title="Data quality"><${LineChart} title="data quality" series=${quality} time=${true} /><//>` : null}
      ${performance.length > 0 ? html`<${Section} title="Performance"><${LineChart} title="performance" series=${performance} time=${true} /><//>` : null}
    </div>
    <${Section} title="Alerts">${alerts.data ? html`<${AlertList} alerts=${alerts.data.items} />` : null}<//>
    <${Section} title="Windows">
      <table data-testid="windows"><thead><tr><th>window</th><th>from</th><th class="num">rows</th><th>model</th><th class="num">reference</th>${
        last
          ? Object.keys(last.figures)
              .slice(0, 6)
              .map((k) => html`<th class="num">${k}</th>`)
          : null
      }</tr></thead>
        <tbody>${[...windows]
          .reverse()
          .slice(0, 50)
          .map(
            (
              w,
            ) => html`<tr><td>${w.window}</td><td>${time(w.start)}</td><td class="num">${w.rows}</td><td>${w.model?.version !== undefined ? `v${w.model.version}` : ""}</td><td class="num">${w.reference ?? ""}</td>
            ${
              last
                ? Object.keys(last.figures)
                    .slice(0, 6)
                    .map((k) => html`<td class="num">${num(w.figures[k])}</td>`)
                : null
            }</tr>`,
          )}</tbody></table>
    <//>
  </div>`;
}
