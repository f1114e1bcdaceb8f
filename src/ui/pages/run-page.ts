import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get } from "../api.js";
import { KeyValues, Pending, Section, Status } from "../components/bits.js";
import { LineChart } from "../components/line-chart.js";
import { duration, time } from "../format.js";
import { href } from "../router.js";
import type { MetricPoint, Run } from "../types.js";
import { useApi } from "../use-api.js";

interface RunDetail {
  run: Run;
  experiment: { name: string };
  artifacts: Array<{ path: string; digest: string; size: number }>;
  inputs: Array<{ name: string; digest: string; context?: string; source?: string }>;
  children: Run[];
}

/** The downsampled history of each of `keys` for each of `runIds`. */
export function useHistories(runIds: string[], keys: string[]): Record<string, Record<string, MetricPoint[]>> {
  const [histories, setHistories] = useState<Record<string, Record<string, MetricPoint[]>>>({});
  const key = JSON.stringify([runIds, keys]);
  useEffect(() => {
    let live = true;
    (async () => {
      const out: Record<string, Record<string, MetricPoint[]>> = {};
      for (const m of keys) {
        out[m] = {};
        for (const id of runIds) {
          const h = await get<{ points: MetricPoint[] }>(
            `runs/${encodeURIComponent(id)}/metrics/${encodeURIComponent(m)}`,
            {
              maxPoints: "400",
            },
          );
          out[m][id] = h.points;
        }
      }
      if (live) setHistories(out);
    })().catch(() => undefined);
    return () => {
      live = false;
    };
  }, [key]);
  return histories;
}

/** One run: status, params, metrics with their charts, tags, artifacts, dataset inputs, child runs. */
export function RunPage(props: { id: string }) {
  const detail = useApi<RunDetail>(`runs/${encodeURIComponent(props.id)}`);
  const keys = Object.keys(detail.data?.run.metrics ?? {})
    .sort()
    .slice(0, 12);
  const histories = useHistories(detail.data ? [props.id] : [], keys);
  if (!detail.data) return html`<${Pending} ...${detail} />`;
  const { run, experiment, artifacts, inputs, children } = detail.data;
  return html`<div>
    <p class="crumbs"><a href="#/runs">runs</a> / ${experiment.name}</p>
    <h1>${run.name} <${Status} value=${run.status} /></h1>
    <p class="muted">${run.id} · started ${time(run.startTime)}${run.endTime ? ` · ${duration(run.endTime - run.startTime)}` : ""}</p>
    <div class="grid2">
      <${Section} title="Parameters"><${KeyValues} values=${run.params} /><//>
      <${Section} title="Metrics (latest)"><${KeyValues} values=${run.metrics} /><//>
    </div>
    <${Section} title="Metric history">
      ${keys.length === 0 ? html`<p class="muted">no metrics</p>` : null}
      <div class="charts">
        ${keys
          .filter((k) => histories[k]?.[props.id])
          .map(
            (k) =>
              html`<${LineChart} title=${k}
                series=${[{ label: k, points: histories[k][props.id].map((p) => [p.step, p.value]) }]} />`,
          )}
      </div>
    <//>
    <div class="grid2">
      <${Section} title="Tags"><${KeyValues} values=${run.tags} /><//>
      <${Section} title="Dataset inputs">
        ${
          inputs.length === 0
            ? html`<p class="muted">none</p>`
            : html`<ul>${inputs.map((i) => html`<li><strong>${i.name}</strong> ${i.context ?? ""} <code>${i.digest.slice(0, 12)}</code> ${i.source ?? ""}</li>`)}</ul>`
        }
      <//>
    </div>
    <${Section} title="Artifacts">
      ${
        artifacts.length === 0
          ? html`<p class="muted">none</p>`
          : html`<ul>${artifacts.map((a) => html`<li>${a.path} <span class="muted">${a.size} bytes · ${a.digest.slice(0, 12)}</span></li>`)}</ul>`
      }
    <//>
    ${
      children.length > 0
        ? html`<${Section} title="Child runs"><ul>${children.map((c) => html`<li><a href=${href("runs", c.id)}>${c.name}</a> <${Status} value=${c.status} /></li>`)}</ul><//>`
        : null
    }
  </div>`;
}
