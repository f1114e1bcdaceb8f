/**
 * Turns a markdown page into one TypeScript program: its ```ts blocks and hidden setup comments, in page
 * order, with their imports merged at the top. The convention is described in `test/docs/README.md`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

/** One line of the generated program and where it came from in the page. */
export interface SourceLine {
  text: string;
  /** 1-based line in the markdown page (0 for lines the generator adds). */
  mdLine: number;
}

/** A page turned into a program. */
export interface DocProgram {
  /** Page path relative to the repository root (e.g. `docs/registry.md`). */
  page: string;
  /** Number of ```ts blocks found on the page. */
  blocks: number;
  lines: SourceLine[];
}

interface Chunk {
  kind: "run" | "no-run" | "setup";
  /** 1-based markdown line of the chunk's first code line. */
  start: number;
  code: string[];
}

const SETUP_OPEN = /^<!--\s*doc-test setup\s*$/;

/** Reads the ```ts blocks (``` ts no-run too) and `<!-- doc-test setup` comments of a page, in order. */
export function extractChunks(markdown: string): Chunk[] {
  const lines = markdown.split("\n");
  const chunks: Chunk[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^(\s*)(`{3,})(.*)$/.exec(line);
    if (fence) {
      const [, , ticks, info] = fence as unknown as [string, string, string, string];
      const words = info.trim().split(/\s+/);
      const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(ticks) && l.trim() === ticks);
      if (end < 0) throw new Error(`unclosed code fence at line ${i + 1}`);
      if (words[0] === "ts" || words[0] === "typescript") {
        const unknown = words.slice(1).filter((w) => w !== "no-run");
        if (unknown.length > 0) throw new Error(`line ${i + 1}: unknown code block flag ${unknown.join(" ")}`);
        chunks.push({ kind: words.includes("no-run") ? "no-run" : "run", start: i + 2, code: lines.slice(i + 1, end) });
      }
      i = end;
      continue;
    }
    if (SETUP_OPEN.test(line.trim())) {
      const end = lines.findIndex((l, j) => j > i && l.trim() === "-->");
      if (end < 0) throw new Error(`unclosed doc-test setup comment at line ${i + 1}`);
      chunks.push({ kind: "setup", start: i + 2, code: lines.slice(i + 1, end) });
      i = end;
    }
  }
  return chunks;
}

interface MergedImport {
  defaultName?: string;
  namespace?: string;
  named: Set<string>;
  sideEffect: boolean;
}

/** A page turned into programs: the page's program and one per `no-run` block. */
export interface DocPrograms {
  main: DocProgram;
  /** Each ```ts no-run block, a module of its own: type-checked, never run. */
  checkOnly: DocProgram[];
}

/**
 * Builds the programs of a page. Import declarations are taken out of every chunk and merged per module
 * (so two blocks may both import `z`); `modules` maps a bare specifier such as `mlcycle` to the file that
 * stands for it.
 */
export function buildPrograms(page: string, markdown: string, modules: Record<string, string>): DocPrograms {
  const chunks = extractChunks(markdown);
  return {
    main: {
      page,
      blocks: chunks.filter((c) => c.kind === "run").length,
      lines: assemble(
        chunks.filter((c) => c.kind !== "no-run"),
        modules,
      ),
    },
    checkOnly: chunks
      .filter((c) => c.kind === "no-run")
      .map((c) => ({ page, blocks: 1, lines: assemble([c], modules) })),
  };
}

function assemble(chunks: Chunk[], modules: Record<string, string>): SourceLine[] {
  const imports = new Map<string, MergedImport>();
  const body: SourceLine[] = [];
  for (const chunk of chunks) {
    const text = chunk.code.join("\n");
    const sf = ts.createSourceFile("chunk.mts", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const skip = new Set<number>();
    for (const statement of sf.statements) {
      if (!ts.isImportDeclaration(statement)) continue;
      const from = (statement.moduleSpecifier as ts.StringLiteral).text;
      const entry = imports.get(from) ?? { named: new Set<string>(), sideEffect: false };
      imports.set(from, entry);
      const clause = statement.importClause;
      if (!clause) entry.sideEffect = true;
      else {
        const typeOnly = clause.isTypeOnly ? "type " : "";
        if (clause.name) entry.defaultName = clause.name.text;
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) entry.namespace = bindings.name.text;
        else if (bindings) for (const el of bindings.elements) entry.named.add(typeOnly + el.getText(sf));
      }
      const first = sf.getLineAndCharacterOfPosition(statement.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(statement.getEnd()).line;
      for (let l = first; l <= last; l++) skip.add(l);
    }
    body.push(...chunk.code.map((t, i) => ({ text: skip.has(i) ? "" : t, mdLine: chunk.start + i })));
  }
  const head: SourceLine[] = [];
  for (const [from, entry] of imports) {
    const target = JSON.stringify(modules[from] ?? from);
    if (entry.sideEffect && !entry.defaultName && !entry.namespace && entry.named.size === 0) {
      head.push({ text: `import ${target};`, mdLine: 0 });
      continue;
    }
    if (entry.namespace) head.push({ text: `import * as ${entry.namespace} from ${target};`, mdLine: 0 });
    const parts = [entry.defaultName, entry.named.size > 0 ? `{ ${[...entry.named].join(", ")} }` : undefined];
    const clause = parts.filter(Boolean).join(", ");
    if (clause) head.push({ text: `import ${clause} from ${target};`, mdLine: 0 });
  }
  // `export {}` keeps a program without imports a module (top-level await needs one).
  head.push({ text: "export {};", mdLine: 0 });
  return [...head, ...body];
}

/** Reads a page from the repository and builds its programs. */
export function pagePrograms(root: string, page: string, modules: Record<string, string>): DocPrograms {
  return buildPrograms(page, readFileSync(join(root, page), "utf8"), modules);
}
