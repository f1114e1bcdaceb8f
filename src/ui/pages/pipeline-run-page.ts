import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { KeyValues, Pending, Section, Status } from "../components/bits.js";
import { GraphView } from "../components/graph-view.js";
import { duration, time } from "../format.js";
import type { PipelineRun, StepRun } from "../types.js";
import { useApi } from "../use-api.js";

interface Detail {
  run: PipelineRun;
  steps: StepRun[];
  graph: { source: string; nodes: Array<{ name: string }>; edges: Array<{ from: string; to: string }> };
}

interface CacheExplanation {
  hit: boolean;
  reason: string;
  key?: string;
  differences: Array<{ component: string; before?: unknown; after?: unknown }>;
}

const stepTime = (s: StepRun) => (s.startedAt && s.finishedAt ? duration(s.finishedAt - s.startedAt) : "");

/** Why a step hit or missed the cache, read when the step is selected. */
function CacheWhy(props: { runId: string; step: string }) {
  const why = useApi<CacheExplanation>(
    `pipelines/runs/${encodeURIComponent(props.runId)}/steps/${encodeURIComponent(props.step)}/cache`,
  );
  if (!why.data) return html`<${Pending} ...${why} />`;
  return html`<div data-testid="cache-why">
    <p><strong>${why.data.hit ? "cache hit" : "cache miss"}</strong>: ${why.data.reason}</p>
    ${why.data.differences.length > 0 ? html`<pre>${JSON.stringify(why.data.differences, null, 2)}</pre>` : null}
  </div>`;
}

/** A pipeline run: its graph laid out with each step's status, timings, cache hits and why, logs. */
export function PipelineRunPage(props: { id: string }) {
  const detail = useApi<Detail>(`pipelines/runs/${encodeURIComponent(props.id)}`);
  const [selected, setSelected] = useState<string | undefined>();
  const [message, setMessage] = useState<string>("");
  const info = useApi<{ writes: boolean }>("info");
  if (!detail.data) return html`<${Pending} ...${detail} />`;
  const { run, steps, graph } = detail.data;
  const byName = new Map(steps.map((s) => [s.step, s]));
  const step = selected ? byName.get(selected) : undefined;
  const resume = () =>
    post<{ status: string }>(`pipelines/runs/${encodeURIComponent(run.id)}/resume`, {}).then(
      (r) => {
        setMessage(`resumed: ${r.status}`);
        detail.reload();
      },
      (e: Error) => setMessage(e.message),
    );
  return html`<div>
    <p class="crumbs"><a href="#/pipelines">pipelines</a> / ${run.pipeline}</p>
    <h1>${run.pipeline} <span class="muted">${run.version}</span> <${Status} value=${run.status} /></h1>
    <p class="muted">${run.id} · ${run.trigger ?? "manual"} · started ${time(run.createdAt)}${run.finishedAt ? ` · ${duration(run.finishedAt - run.createdAt)}` : ""}</p>
    ${info.data?.writes && (run.status === "failed" || run.status === "cancelled") ? html`<button onClick=${resume}>resume</button> <span>${message}</span>` : null}
    <${Section} title="Graph">
      <p class="muted">${graph.source === "lineage" ? "edges from the step runs' recorded inputs" : "from the pipeline's definition"} · click a step for its cache decision and logs</p>
      <${GraphView}
        nodes=${graph.nodes.map((n) => {
          const s = byName.get(n.name);
          const state = s ? (s.cacheHit ? "cached" : s.status) : "none";
          return {
            id: n.name,
            label: n.name,
            sub: s ? `${s.cacheHit ? "cached" : s.status} ${stepTime(s)}` : "not run",
            className: `st-${state}`,
          };
        })}
        edges=${graph.edges} selected=${selected} onSelect=${setSelected} />
    <//>
    <${Section} title="Steps">
      <table data-testid="steps">
        <thead><tr><th>step</th><th>status</th><th>attempts</th><th>started</th><th class="num">time</th><th>cache</th><th>why</th></tr></thead>
        <tbody>
          ${steps.map(
            (s) => html`<tr class=${selected === s.step ? "selected" : ""} onClick=${() => setSelected(s.step)}>
              <td><a href="javascript:void 0">${s.step}</a></td><td><${Status} value=${s.status} /></td><td class="num">${s.attempts}</td>
              <td>${time(s.startedAt)}</td><td class="num">${stepTime(s)}</td><td>${s.cacheHit ? "hit" : "miss"}</td>
              <td>${s.reason ?? s.error?.message ?? ""}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    <//>
    <${Section} title="Parameters"><${KeyValues} values=${(run.params ?? {}) as Record<string, unknown>} /><//>
    ${
      step
        ? html`<${Section} title=${`Step ${step.step}`}>
            <${CacheWhy} runId=${run.id} step=${step.step} />
            <h3>Logs</h3>
            ${
              (step.logs ?? []).length === 0
                ? html`<p class="muted">no logs</p>`
                : html`<pre class="logs">${(step.logs ?? []).map((l) => `${time(l.at)} ${l.level.padEnd(5)} ${l.message}${l.data !== undefined ? ` ${JSON.stringify(l.data)}` : ""}\n`)}</pre>`
            }
          <//>`
        : null
    }
  </div>`;
}
