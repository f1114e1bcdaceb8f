/** A column of {@link textTable}: its heading, and `right` to align numbers on the right. */
export interface TextColumn {
  heading: string;
  right?: boolean;
}

/** The width of a string as a terminal shows it: one cell per code point (the CLI prints no wide characters). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Rows as a plain-text table: a heading line, then one line per row, columns separated by two spaces
 * and padded to the widest cell (the last column is not padded, so lines carry no trailing spaces).
 * Cells are one line each: line breaks are replaced by spaces.
 *
 * @example
 * ```ts
 * textTable([{ heading: "NAME" }, { heading: "ROWS", right: true }], [["churn", "200"]]);
 * // NAME   ROWS
 * // churn   200
 * ```
 */
export function textTable(columns: readonly TextColumn[], rows: ReadonlyArray<readonly string[]>): string[] {
  const cells = [columns.map((c) => c.heading), ...rows.map((r) => columns.map((_, i) => oneLine(r[i] ?? "")))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => width(r[i]))));
  return cells.map((r) =>
    r
      .map((cell, i) => {
        const pad = " ".repeat(widths[i] - width(cell));
        if (columns[i].right) return pad + cell;
        return i === r.length - 1 ? cell : cell + pad;
      })
      .join("  ")
      .trimEnd(),
  );
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}
