import { html } from "htm/preact";
import type { ComponentChild } from "preact";
import { useState } from "preact/hooks";

/** One column of a {@link DataTable}: its heading, the value it sorts by, and how a cell shows. */
export interface Column<T> {
  heading: string;
  value: (row: T) => string | number | undefined;
  cell?: (row: T) => ComponentChild;
  numeric?: boolean;
}

/**
 * A table whose headings sort it (click again to reverse). Rows past `pageSize` go to further
 * pages, so that a list of thousands renders a page at a time.
 */
export function DataTable<T>(props: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  pageSize?: number;
  testId?: string;
  selected?: Set<string>;
  onToggle?: (key: string) => void;
}) {
  const [sort, setSort] = useState<{ col: number; desc: boolean } | undefined>();
  const [pageAsked, setPage] = useState(0);
  const size = props.pageSize ?? 100;
  let rows = props.rows;
  if (sort) {
    const col = props.columns[sort.col];
    rows = [...rows].sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      if (x === y) return 0;
      if (x === undefined || x === "") return 1;
      if (y === undefined || y === "") return -1;
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return sort.desc ? -c : c;
    });
  }
  const pages = Math.max(1, Math.ceil(rows.length / size));
  // A shorter list (a new filter) keeps the pager within it.
  const page = Math.min(pageAsked, pages - 1);
  const shown = rows.slice(page * size, (page + 1) * size);
  // A new order starts again at its first page.
  const click = (i: number) => {
    setSort(sort?.col === i ? { col: i, desc: !sort.desc } : { col: i, desc: false });
    setPage(0);
  };
  return html`<div class="table-wrap">
    <table data-testid=${props.testId}>
      <thead>
        <tr>
          ${props.onToggle ? html`<th></th>` : null}
          ${props.columns.map(
            (c, i) =>
              html`<th class=${c.numeric ? "num sortable" : "sortable"} onClick=${() => click(i)}>
                ${c.heading}${sort?.col === i ? (sort.desc ? " ▼" : " ▲") : ""}
              </th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${shown.map((row) => {
          const key = props.rowKey(row);
          return html`<tr key=${key}>
            ${
              props.onToggle
                ? html`<td><input type="checkbox" aria-label="select" checked=${props.selected?.has(key)}
                    onChange=${() => props.onToggle?.(key)} /></td>`
                : null
            }
            ${props.columns.map(
              (c) => html`<td class=${c.numeric ? "num" : ""}>${c.cell ? c.cell(row) : (c.value(row) ?? "")}</td>`,
            )}
          </tr>`;
        })}
      </tbody>
    </table>
    ${
      pages > 1
        ? html`<div class="pager">
            <button disabled=${page === 0} onClick=${() => setPage(page - 1)}>‹ previous</button>
            <span>page ${page + 1} of ${pages} (${rows.length} rows)</span>
            <button disabled=${page >= pages - 1} onClick=${() => setPage(page + 1)}>next ›</button>
          </div>`
        : null
    }
  </div>`;
}
