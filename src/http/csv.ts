import { HttpError } from "./http-errors.js";

/** A CSV document: the header row and the data rows, as strings. */
export interface CsvTable {
  columns: string[];
  rows: string[][];
}

function csvError(line: number, message: string): HttpError {
  const text = `CSV line ${line}: ${message}`;
  return new HttpError(400, "VALIDATION", text, [{ code: "invalid_csv", path: ["csv", line], message }]);
}

/**
 * Parses CSV as `pandas.DataFrame.to_csv()` writes it (RFC 4180): a header row, `,` separators,
 * fields optionally quoted with `"` (a quote inside doubled), CRLF or LF line ends, a trailing line
 * end allowed. Every row must have as many fields as the header; `VALIDATION` (400) otherwise.
 */
export function parseCsv(text: string): CsvTable {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = "";
  let record: string[] = [];
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let fieldStarted = false;
  /** True right after a quoted field's closing quote: only a separator or a line end may follow. */
  let closed = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = () => {
    record.push(field);
    field = "";
    fieldStarted = false;
    closed = false;
  };
  const endRecord = () => {
    endField();
    // A blank line is skipped, as pandas does.
    if (!(record.length === 1 && record[0] === "")) {
      records.push(record);
      lines.push(recordLine);
    }
    record = [];
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          closed = true;
        }
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (fieldStarted || field.length > 0)
        throw csvError(line, 'a quote may only open a field (write "" inside quotes)');
      quoted = true;
      fieldStarted = true;
    } else if (ch === ",") endField();
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (closed) throw csvError(line, "text after a closing quote");
      field += ch;
    }
  }
  if (quoted) throw csvError(recordLine, "a quoted field is not closed");
  if (field.length > 0 || fieldStarted || record.length > 0) endRecord();
  if (records.length === 0) throw csvError(1, "the body is empty: a header row is needed");
  const [columns, ...rows] = records;
  for (const [k, row] of rows.entries())
    if (row.length !== columns.length)
      throw csvError(lines[k + 1], `has ${row.length} fields, the header has ${columns.length}`);
  return { columns, rows };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/**
 * A CSV cell as pandas' `read_csv` reads it without a schema: empty → `null`, a number → number,
 * `True`/`False` (any case) → boolean, anything else → the string.
 */
export function inferCell(cell: string): unknown {
  if (cell === "") return null;
  const t = cell.trim();
  if (NUMBER.test(t)) {
    const lower = t.toLowerCase().replace(/^[+-]/, "");
    if (lower === "nan") return null;
    if (lower === "inf" || lower === "infinity") return t.startsWith("-") ? -Infinity : Infinity;
    return Number(t);
  }
  const lower = t.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  return cell;
}

/** A CSV cell read as the JSON Schema type of its column: strings stay strings; numbers, integers and booleans are parsed. */
export function typedCell(cell: string, type: string | undefined): unknown {
  if (type === "string") return cell;
  if (cell === "") return null;
  if (type === "number" || type === "integer") {
    const v = inferCell(cell);
    return typeof v === "number" ? v : cell;
  }
  if (type === "boolean") {
    const v = inferCell(cell);
    return typeof v === "boolean" ? v : cell;
  }
  return inferCell(cell);
}
