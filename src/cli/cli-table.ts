import Table from "cli-table3";
import type { Colors } from "./cli-terminal.js";

/** A column of {@link renderTable}: its heading, and `right` to align numbers on the right. */
export interface TableColumn {
  heading: string;
  right?: boolean;
}

// No borders: columns are separated by two spaces, as `ls -l`, `kubectl get` and `docker ps` print,
// so that a table reads in a terminal and splits on /\s{2,}/ in a script.
const NO_BORDERS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

/**
 * Rows as a table (cli-table3 without borders): a heading line, then one line per row, columns
 * separated by two spaces and padded to the widest cell (widths as a terminal shows them: colour
 * codes take none, wide characters two). Lines carry no trailing spaces; a cell is one line (line
 * breaks become spaces). With `color`, headings are bold (they do nothing when colour is off).
 *
 * @example
 * ```ts
 * renderTable([{ heading: "NAME" }, { heading: "ROWS", right: true }], [["churn", "200"]]);
 * // NAME   ROWS
 * // churn   200
 * ```
 */
export function renderTable(
  columns: readonly TableColumn[],
  rows: ReadonlyArray<readonly string[]>,
  color?: Colors,
): string[] {
  const table = new Table({
    head: columns.map((c) => (color && c.heading ? color.bold(c.heading) : c.heading)),
    chars: NO_BORDERS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    colAligns: columns.map((c) => (c.right ? "right" : "left")),
  });
  for (const r of rows) table.push(columns.map((_, i) => oneLine(r[i] ?? "")));
  return table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd());
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}
