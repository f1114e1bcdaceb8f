// The ```console examples of docs/cli.md: each `$ mlcycle …` line is a command; the lines after it,
// up to the next command or the end of the block, are what it prints (`…` stands for lines left
// out). docs-examples.test.ts runs them on the workspace the page's ts blocks build and compares.

/** One command of a console block and what the page says it prints. */
export interface ConsoleExample {
  /** 1-based line of the command in the page. */
  line: number;
  args: string[];
  /** The exit code a trailing `# exits with N` names (default 0). */
  exitCode: number;
  output: string[];
}

/** Splits a command line into words as a POSIX shell does for plain words and '…' or "…" quotes. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed ${c} in: ${text}`);
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The `$ mlcycle` commands of a page's ```console blocks, in page order. */
export function consoleExamples(markdown: string): ConsoleExample[] {
  const lines = markdown.split("\n");
  const out: ConsoleExample[] = [];
  let inBlock = false;
  let current: ConsoleExample | undefined;
  for (const [i, text] of lines.entries()) {
    if (!inBlock) {
      inBlock = text.trim() === "```console";
      continue;
    }
    if (text.trim() === "```") {
      inBlock = false;
      current = undefined;
      continue;
    }
    const command = /^\$ mlcycle (.*?)(?:\s+# exits with (\d))?$/.exec(text);
    if (command) {
      current = { line: i + 1, args: shellWords(command[1]), exitCode: Number(command[2] ?? 0), output: [] };
      out.push(current);
    } else if (current) current.output.push(text);
    else throw new Error(`line ${i + 1}: a console block starts with a $ mlcycle command`);
  }
  return out;
}

/**
 * A line as the comparison sees it: ids, times and digests (which differ from run to run) replaced
 * by placeholders, runs of spaces (column widths follow them) made one.
 */
export function normalize(line: string): string {
  return line
    .replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, "<id>")
    .replace(/\b[0-9A-HJKMNP-TV-Z]{6}\)/g, "<id>)")
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, "<time>")
    .replace(/\b[0-9a-f]{12,64}\b/g, "<hex>")
    .replace(/\b\d+(\.\d+)?(ms|s)\b/g, "<duration>")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Whether `actual` shows what the page says: the page's lines, in order, each equal to a line of the
 * output once normalised (a page line ending with `…` is a prefix; a line `…` alone is skipped).
 * Returns the first page line not found, or undefined when all are.
 */
export function missingLine(shown: readonly string[], actual: readonly string[]): string | undefined {
  const got = actual.map(normalize);
  let at = 0;
  for (const line of shown) {
    const want = normalize(line);
    if (want === "…" || want === "") continue;
    const prefix = want.endsWith("…") ? want.slice(0, -1).trimEnd() : undefined;
    const found = got.findIndex((g, i) => i >= at && (prefix !== undefined ? g.startsWith(prefix) : g === want));
    if (found < 0) return line;
    at = found + 1;
  }
  return undefined;
}
