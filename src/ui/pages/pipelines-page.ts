import { html } from "htm/preact";
import { Pending, Status } from "../components/bits.js";
import { type Column, DataTable } from "../components/data-table.js";
import { duration, time } from "../format.js";
import { href } from "../router.js";
import type { PipelineRun, StepRun } from "../types.js";
import { useApi } from "../use-api.js";

interface Item {
  run: PipelineRun;
  steps: StepRun[];
}

/** Pipeline runs, newest first: status, trigger, duration, and how their steps ended. */
export function PipelinesPage() {
  const runs = useApi<{ items: Item[] }>("pipelines/runs", { limit: "500" });
  if (!runs.data) return html`<${Pending} ...${runs} />`;
  const columns: Column<Item>[] = [
    {
      heading: "run",
      value: (i) => i.run.id,
      cell: (i) => html`<a href=${href("pipelines", i.run.id)}>${i.run.pipeline} · ${i.run.id.slice(-8)}</a>`,
    },
    { heading: "status", value: (i) => i.run.status, cell: (i) => html`<${Status} value=${i.run.status} />` },
    { heading: "trigger", value: (i) => i.run.trigger ?? "" },
    { heading: "started", value: (i) => i.run.createdAt, cell: (i) => time(i.run.createdAt) },
    {
      heading: "duration",
      value: (i) => (i.run.finishedAt ?? i.run.createdAt) - i.run.createdAt,
      cell: (i) => (i.run.finishedAt ? duration(i.run.finishedAt - i.run.createdAt) : ""),
      numeric: true,
    },
    {
      heading: "steps",
      value: (i) => i.steps.length,
      cell: (i) =>
        html`<span class="steps">${i.steps.map((s) => html`<span class=${`dot dot-${s.cacheHit ? "cached" : s.status}`} title=${`${s.step}: ${s.cacheHit ? "cached" : s.status}`}></span>`)}</span>`,
    },
    { heading: "cache hits", value: (i) => i.steps.filter((s) => s.cacheHit).length, numeric: true },
  ];
  return html`<div>
    <h1>Pipelines</h1>
    <${DataTable} columns=${columns} rows=${runs.data.items} rowKey=${(i: Item) => i.run.id} testId="pipeline-runs" />
  </div>`;
}
