import { invalid } from "../../core/errors.js";

/** A SQL identifier, quoted (`"name"`, inner quotes doubled): any column name a file may have. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal (`'text'`, inner quotes doubled), for names and paths that cannot be parameters. */
export function literal(text: string): string {
  if (text.includes("\u0000")) throw invalid([], "text given to DuckDB may not contain a NUL character");
  return `'${text.replaceAll("'", "''")}'`;
}

/** A list literal of strings: `['a', 'b']`. */
export function literalList(texts: readonly string[]): string {
  return `[${texts.map(literal).join(", ")}]`;
}

/** The largest BIGINT: sorts after every created time and write position. */
export const MAX_BIGINT = "9223372036854775807::BIGINT";

/** Checks a table-name prefix: a plain identifier, so it can be written into SQL as it is. */
export function checkTablePrefix(prefix: unknown): string {
  if (typeof prefix === "string" && /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(prefix)) return prefix;
  throw invalid(
    ["tablePrefix"],
    "must be a plain SQL identifier (letters, digits, _; not starting with a digit; at most 63 characters)",
  );
}

/**
 * Control characters DuckDB's `to_json` writes with upper-case hex (`\u001F`) where
 * `JSON.stringify` writes lower case (`\u001f`): the only difference between the two for text
 * (DuckDB text is valid UTF-8, so it never holds the lone surrogates `JSON.stringify` escapes).
 */
const UPPER_HEX_ESCAPES = [0x0b, 0x0e, 0x0f, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f];

/**
 * The SQL of the entity key the feature store encodes in JavaScript (`encodeEntityKey`): for one
 * join key the JSON of its value (an integer's decimal digits, a string's JSON), for several the
 * JSON array of them. `columns` are SQL expressions of the join-key values, in order.
 */
export function entityKeySql(columns: ReadonlyArray<{ sql: string; type: "int" | "string" }>): string {
  const part = (c: { sql: string; type: "int" | "string" }) => {
    if (c.type === "int") return `CAST(CAST(${c.sql} AS BIGINT) AS VARCHAR)`;
    let json = `CAST(to_json(CAST(${c.sql} AS VARCHAR)) AS VARCHAR)`;
    for (const code of UPPER_HEX_ESCAPES) {
      const upper = `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
      json = `replace(${json}, ${literal(upper)}, ${literal(upper.toLowerCase())})`;
    }
    return json;
  };
  if (columns.length === 1) return part(columns[0]);
  return `'[' || ${columns.map(part).join(" || ',' || ")} || ']'`;
}
