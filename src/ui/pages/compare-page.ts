import { html } from "htm/preact";
import { Pending, Section } from "../components/bits.js";
import { LineChart } from "../components/line-chart.js";
import { num } from "../format.js";
import { href } from "../router.js";
import type { Run } from "../types.js";
import { useApi } from "../use-api.js";
import { useHistories } from "./run-page.js";

interface Row {
  key: string;
  values: Array<string | number | undefined>;
  differs: boolean;
}

/** Several runs side by side: params and latest metrics (rows that differ marked), metric charts overlaid. */
export function ComparePage(props: { query: URLSearchParams }) {
  const ids = (props.query.get("runs") ?? "").split(",").filter(Boolean);
  const cmp = useApi<{ runs: Run[]; params: Row[]; metrics: Row[] }>("compare", { runs: ids.join(",") });
  const keys = (cmp.data?.metrics ?? []).map((m) => m.key).slice(0, 8);
  const histories = useHistories(cmp.data ? ids : [], keys);
  if (!cmp.data) return html`<${Pending} ...${cmp} />`;
  const { runs } = cmp.data;
  const table = (title: string, rows: Row[]) => html`<${Section} title=${title}>
    <table class="compare" data-testid=${`compare-${title.toLowerCase()}`}>
      <thead><tr><th></th>${runs.map((r) => html`<th><a href=${href("runs", r.id)}>${r.name}</a></th>`)}</tr></thead>
      <tbody>${rows.map((row) => html`<tr class=${row.differs ? "differs" : ""}><th>${row.key}</th>${row.values.map((v) => html`<td class="num">${num(v)}</td>`)}</tr>`)}</tbody>
    </table>
  <//>`;
  return html`<div>
    <p class="crumbs"><a href="#/runs">runs</a> / compare</p>
    <h1>Comparing ${runs.length} runs</h1>
    ${table("Params", cmp.data.params)}
    ${table("Metrics", cmp.data.metrics)}
    <${Section} title="Metric history">
      <div class="charts">
        ${keys
          .filter((k) => histories[k])
          .map(
            (k) => html`<${LineChart} title=${k}
              series=${runs.map((r) => ({ label: r.name, points: (histories[k][r.id] ?? []).map((p) => [p.step, p.value]) }))} />`,
          )}
      </div>
    <//>
  </div>`;
}
