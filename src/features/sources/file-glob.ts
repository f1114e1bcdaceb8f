import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve, sep } from "node:path";
import { invalid, MlcycleError } from "../../core/errors.js";

const WILDCARD = /[*?[]/;

/**
 * The byte order of UTF-8 text (code point order): how file names of a glob are sorted, so every
 * reader (JavaScript or an engine handed the list) reads the files, and so breaks ties between
 * rows, in one order.
 */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** True when a path has a wildcard (`*`, `?`, `[…]`). */
export function isGlob(path: string): boolean {
  return WILDCARD.test(path);
}

/**
 * Expands a path with wildcards into the files it matches, sorted by {@link compareBytes}: `*` and
 * `?` within one path segment, `[abc]` a character class, `**` any number of folders. A path without
 * wildcards is returned as it is (checked to exist). No match is `NOT_FOUND` naming the pattern.
 *
 * @example
 * ```ts
 * await expandGlob("data/driver_stats/*.parquet"); // ["/abs/data/driver_stats/2024-01.parquet", …]
 * ```
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(pattern);
  if (!isGlob(absolute)) {
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile())
      throw new MlcycleError("NOT_FOUND", `no file at '${absolute}'`, { details: { path: absolute } });
    return [absolute];
  }
  const parts = absolute.split(sep);
  let base = parts[0] === "" ? sep : parts[0];
  let i = 1;
  while (i < parts.length && !isGlob(parts[i])) base = join(base, parts[i++]);
  const rest = parts.slice(i).map((p) => (p === "**" ? p : segmentRegExp(p)));
  const found: string[] = [];
  await walk(base, rest, found);
  if (found.length === 0)
    throw new MlcycleError("NOT_FOUND", `no file matches '${pattern}'`, { details: { path: absolute } });
  return [...new Set(found)].sort(compareBytes);
}

async function walk(dir: string, rest: Array<RegExp | "**">, found: string[]): Promise<void> {
  if (rest.length === 0) return;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const [head, ...tail] = rest;
  if (head === "**") {
    // `**` matches no folder (go on with the rest here) or any folder below (keep `**`).
    await walk(dir, tail, found);
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name), rest, found);
    return;
  }
  for (const e of entries) {
    if (!head.test(e.name)) continue;
    const path = join(dir, e.name);
    if (tail.length === 0) {
      if (e.isFile() || (e.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile())) found.push(path);
    } else if (e.isDirectory()) await walk(path, tail, found);
  }
}

/** One path segment with `*`, `?` and `[…]` as a regular expression matching whole names. */
function segmentRegExp(segment: string): RegExp {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 1);
      if (end < 0) throw invalid(["path"], `'${segment}' has a '[' without its ']'`);
      const body = segment
        .slice(i + 1, end)
        .replace(/^!/, "^")
        .replaceAll("\\", "\\\\");
      out += `[${body}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "u");
}
