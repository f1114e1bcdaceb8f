import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { get } from "../api.js";
import { Status } from "../components/bits.js";
import { type Column, DataTable } from "../components/data-table.js";
import { duration, num, time } from "../format.js";
import { href } from "../router.js";
import type { Run } from "../types.js";
import { useApi } from "../use-api.js";

/** The filter's error with a caret under the character where it went wrong. */
function FilterError(props: { message: string; source?: string; position?: number }) {
  if (props.source === undefined || props.position === undefined)
    return html`<p class="error" role="alert">${props.message}</p>`;
  return html`<div class="error" role="alert" data-testid="filter-error">
    <div>${props.message}</div>
    <pre class="caret">${`${props.source}\n${" ".repeat(Math.max(0, props.position))}^`}</pre>
  </div>`;
}

/** Experiments and their runs: a filter box (the run filter language), a sortable table, compare. */
export function RunsPage(props: { query: URLSearchParams }) {
  const experiment = props.query.get("experiment") ?? "";
  const [text, setText] = useState(props.query.get("filter") ?? "");
  const [filter, setFilter] = useState(text);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const experiments = useApi<{ items: Array<{ id: string; name: string }> }>("experiments");
  const runs = useApi<{ runs: Run[]; nextPageToken?: string }>("runs", {
    filter,
    experiment: experiment || undefined,
    limit: "1000",
  });
  // Further pages of the same search, fetched on demand ("load more"): a workspace of 10,000 runs is
  // read 1,000 at a time and shown 100 rows at a time.
  const searchKey = JSON.stringify([filter, experiment]);
  const [more, setMore] = useState<{ key: string; runs: Run[]; next?: string; busy: boolean }>({
    key: "",
    runs: [],
    busy: false,
  });
  const extra = more.key === searchKey ? more : { key: searchKey, runs: [], next: undefined, busy: false };
  const next = extra.runs.length > 0 ? extra.next : runs.data?.nextPageToken;
  const loadMore = () => {
    if (!next || extra.busy) return;
    setMore({ ...extra, busy: true });
    get<{ runs: Run[]; nextPageToken?: string }>("runs", {
      filter,
      experiment: experiment || undefined,
      limit: "1000",
      pageToken: next,
    }).then(
      (page) => setMore({ key: searchKey, runs: [...extra.runs, ...page.runs], next: page.nextPageToken, busy: false }),
      () => setMore({ ...extra, busy: false }),
    );
  };
  const list = extra.runs.length > 0 ? [...(runs.data?.runs ?? []), ...extra.runs] : (runs.data?.runs ?? []);
  const metricKeys = [...new Set(list.flatMap((r) => Object.keys(r.metrics)))].sort().slice(0, 5);
  const paramKeys = [...new Set(list.flatMap((r) => Object.keys(r.params)))].sort().slice(0, 3);
  const columns: Column<Run>[] = [
    { heading: "run", value: (r) => r.name, cell: (r) => html`<a href=${href("runs", r.id)}>${r.name}</a>` },
    { heading: "experiment", value: (r) => r.experimentName ?? r.experimentId },
    { heading: "status", value: (r) => r.status, cell: (r) => html`<${Status} value=${r.status} />` },
    { heading: "started", value: (r) => r.startTime, cell: (r) => time(r.startTime) },
    {
      heading: "duration",
      value: (r) => (r.endTime ?? r.startTime) - r.startTime,
      cell: (r) => (r.endTime ? duration(r.endTime - r.startTime) : ""),
      numeric: true,
    },
    ...metricKeys.map((k) => ({
      heading: k,
      value: (r: Run) => r.metrics[k],
      cell: (r: Run) => num(r.metrics[k]),
      numeric: true,
    })),
    ...paramKeys.map((k) => ({ heading: `param ${k}`, value: (r: Run) => r.params[k] })),
  ];
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const pick = (id: string) => {
    const q = new URLSearchParams(props.query);
    if (id) q.set("experiment", id);
    else q.delete("experiment");
    location.hash = `#/runs?${q}`;
  };
  return html`<div>
    <h1>Experiments and runs</h1>
    <div class="toolbar">
      <label>experiment
        <select value=${experiment} onChange=${(e: Event) => pick((e.target as HTMLSelectElement).value)}>
          <option value="">all</option>
          ${(experiments.data?.items ?? []).map((e) => html`<option value=${e.id}>${e.name}</option>`)}
        </select>
      </label>
      <form class="filter" onSubmit=${(e: Event) => {
        e.preventDefault();
        setFilter(text);
      }}>
        <input name="filter" placeholder="metrics.accuracy > 0.8 and params.lr = '0.5'" value=${text}
          onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
        <button type="submit">search</button>
      </form>
      <a class=${`button ${selected.size < 2 ? "disabled" : ""}`} data-testid="compare"
        href=${selected.size >= 2 ? `#/compare?runs=${[...selected].join(",")}` : undefined}>compare ${selected.size || ""}</a>
    </div>
    ${runs.error ? html`<${FilterError} message=${runs.error.message} source=${runs.error.source} position=${runs.error.position} />` : null}
    ${runs.loading && !runs.data ? html`<p class="muted">loading…</p>` : null}
    ${
      runs.data
        ? html`<p class="muted" data-testid="runs-count">${list.length}${next ? "+" : ""} runs${filter ? " match" : ""}
            ${next ? html` <button data-testid="load-more" disabled=${extra.busy} onClick=${loadMore}>load 1,000 more</button>` : null}</p>
          <${DataTable} columns=${columns} rows=${list} rowKey=${(r: Run) => r.id} testId="runs"
            selected=${selected} onToggle=${toggle} pageSize=${100} />`
        : null
    }
  </div>`;
}
