/**
 * Names whose code point order differs from every linguistic collation's: upper before lower case,
 * `_` between them, a space and `-` before digits, accented letters after `z`. A store answering in
 * name order must give these back sorted as {@link byCodePoint} sorts them, whatever the collation of
 * the database behind it (PostgreSQL's default is the database's locale).
 */
export const CODE_POINT_NAMES: readonly string[] = ["é", "b", "_b", "B", "a_b", "ab", "a-b", "Z", "0", "a b", "Ab"];

/**
 * Compares two strings by code point, as SQLite's `BINARY` collation and PostgreSQL's `"C"` do
 * (for strings without astral characters, where UTF-16 units and code points agree).
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
