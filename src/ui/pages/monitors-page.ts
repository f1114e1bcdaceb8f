import { html } from "htm/preact";
import { Pending, Section, Status } from "../components/bits.js";
import { time } from "../format.js";
import { href } from "../router.js";
import type { Alert } from "../types.js";
import { useApi } from "../use-api.js";

interface Summary {
  name: string;
  deployment?: string;
  open: boolean;
  openAlerts: number;
  latest?: { window: number; end: number; rows: number };
}

/** A list of alerts. */
export function AlertList(props: { alerts: Alert[] }) {
  if (props.alerts.length === 0) return html`<p class="muted">no alerts</p>`;
  return html`<table data-testid="alerts"><thead><tr><th>opened</th><th>monitor</th><th>rule</th><th>severity</th><th>status</th><th>window</th><th>message</th></tr></thead>
    <tbody>${props.alerts.map(
      (
        a,
      ) => html`<tr><td>${time(a.openedAt)}</td><td><a href=${href("monitors", a.monitor)}>${a.monitor}</a></td><td>${a.rule}</td>
        <td><span class=${`badge badge-${a.severity}`}>${a.severity}</span></td><td><${Status} value=${a.status} /></td>
        <td>${a.window}${a.resolvedWindow !== undefined ? `–${a.resolvedWindow}` : ""}</td><td>${a.message ?? ""}</td></tr>`,
    )}</tbody></table>`;
}

/** Monitors with their latest window and open alerts, and every alert. */
export function MonitorsPage() {
  const m = useApi<{ items: Summary[] }>("monitors");
  const alerts = useApi<{ items: Alert[] }>("alerts");
  if (!m.data) return html`<${Pending} ...${m} />`;
  return html`<div>
    <h1>Monitors</h1>
    <table data-testid="monitors"><thead><tr><th>monitor</th><th>deployment</th><th>latest window</th><th class="num">rows</th><th class="num">open alerts</th></tr></thead>
      <tbody>${m.data.items.map(
        (x) => html`<tr><td><a href=${href("monitors", x.name)}>${x.name}</a></td><td>${x.deployment ?? ""}</td>
          <td>${x.latest ? `#${x.latest.window} to ${time(x.latest.end)}` : ""}</td><td class="num">${x.latest?.rows ?? ""}</td><td class="num">${x.openAlerts}</td></tr>`,
      )}</tbody></table>
    <${Section} title="Alerts">${alerts.data ? html`<${AlertList} alerts=${alerts.data.items} />` : html`<${Pending} ...${alerts} />`}<//>
  </div>`;
}
