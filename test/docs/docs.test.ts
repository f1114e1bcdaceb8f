// Every ```ts block of README.md and docs/*.md is type-checked against the sources and run, one
// program per page (convention: test/docs/README.md).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_URL, REDIS_URL, service } from "../services.js";
import { type DocProgram, pagePrograms } from "./doc-program.js";

const root = join(import.meta.dirname, "..", "..");
const modules = {
  mlcycle: join(root, "src", "index.js"),
  "mlcycle/testing": join(root, "src", "testing", "index.js"),
  "mlcycle/onnx": join(root, "src", "adapters", "onnx", "index.js"),
  "mlcycle/s3": join(root, "src", "adapters", "s3", "index.js"),
  "mlcycle/redis": join(root, "src", "adapters", "redis", "index.js"),
  "mlcycle/bullmq": join(root, "src", "adapters", "bullmq", "index.js"),
  "mlcycle/postgres": join(root, "src", "adapters", "postgres", "index.js"),
  "mlcycle/duckdb": join(root, "src", "adapters", "duckdb", "index.js"),
  "mlcycle/http": join(root, "src", "http", "index.js"),
};
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
/** A guard against a page that hangs, for all pages together: generous, as the machine may be shared. */
const RUN_TIMEOUT_MS = 120_000;
/** Pages whose programs need a server of the test setup (test/services.ts): [name, URL]. */
const pageServices: Record<string, [string, string]> = {
  "docs/redis.md": ["Redis", REDIS_URL],
  "docs/bullmq.md": ["Redis", REDIS_URL],
  "docs/postgres.md": ["PostgreSQL", POSTGRES_URL],
  "docs/scaling-out.md": ["PostgreSQL", POSTGRES_URL],
};
/** Pages that run: all but those whose server does not answer (skipped with a one-line reason). */
const runnable = new Set(pages);
for (const [page, [name, url]] of Object.entries(pageServices))
  if (runnable.has(page) && !(await service(name, url))) runnable.delete(page);

/**
 * The compiler options README.md tells users to set, plus what a test needs to find @types/node, and
 * `skipLibCheck` so that only the snippets (and the sources they import) are checked, not every
 * dependency's declarations; the shipped declarations are checked without it by test/package.
 */
const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ["node"],
  typeRoots: [join(root, "node_modules", "@types")],
};

const dir = mkdtempSync(join(tmpdir(), "mlcycle-docs-"));
// Packages the snippets import (zod, ml-random-forest…) resolve from the repository's install.
symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const slug = (page: string) => page.replaceAll(/[^A-Za-z0-9]+/g, "-");
/** Generated file → its program. */
const generated = new Map<string, DocProgram>();
const mains = new Map<string, { program: DocProgram; file: string }>();
for (const page of pages) {
  // A no-run block may import what the page's running blocks export as `./<page name>.js` (e.g. a
  // test file of docs/custom-adapter.md importing the adapter the page defines from "./custom-adapter.js").
  const self = { [`./${basename(page, ".md")}.js`]: `./${slug(page)}.mjs` };
  const { main, checkOnly } = pagePrograms(root, page, { ...modules, ...self });
  const write = (program: DocProgram, name: string) => {
    const file = join(dir, `${name}.mts`);
    writeFileSync(file, program.lines.map((l) => l.text).join("\n"));
    generated.set(file, program);
    return file;
  };
  mains.set(page, { program: main, file: write(main, slug(page)) });
  for (const [i, p] of checkOnly.entries()) write(p, `${slug(page)}-no-run-${i + 1}`);
}

/** `page:line` of a 1-based line of a generated file. */
function where(file: string, line: number): string {
  const program = generated.get(file) as DocProgram;
  const md = program.lines[line - 1]?.mdLine ?? 0;
  return md > 0 ? `${program.page}:${md}` : `${program.page} (generated line ${line})`;
}

const typeErrors = new Map<string, string[]>(pages.map((p) => [p, []]));
let outcomes: Map<string, RunOutcome>;
beforeAll(async () => {
  // The programs run in a child process while this one type-checks.
  const running = runPrograms();
  // One program for every page: the sources are checked once.
  const program = ts.createProgram([...generated.keys()], compilerOptions);
  for (const [file, { page }] of generated) {
    const sf = program.getSourceFile(file);
    const diagnostics = sf
      ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
      : [{ messageText: "not compiled" } as ts.Diagnostic];
    for (const d of diagnostics) {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      typeErrors.get(page)?.push(`${where(file, line)}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    }
  }
  outcomes = await running;
}, 180_000);

/** How a page's program ended when run. */
interface RunOutcome {
  ok: boolean;
  error?: string;
  ms?: number;
}

/**
 * Runs every page's program in one tsx process (the sources are transformed once), one after the other,
 * each with its own empty folder as working directory. Resolves with each page's outcome.
 */
function runPrograms(): Promise<Map<string, RunOutcome>> {
  const jobs = [...runnable].map((page) => {
    const cwd = join(dir, `${slug(page)}-workspace`);
    mkdirSync(cwd);
    return { page, file: (mains.get(page) as { file: string }).file, cwd };
  });
  const resultsFile = join(dir, "results.json");
  const runner = join(dir, "run-pages.mts");
  writeFileSync(
    runner,
    `import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const jobs = ${JSON.stringify(jobs)};
const results = {};
let current;
const fail = (e) => { if (current && results[current]) results[current] = { ok: false, error: String(e?.stack ?? e) }; };
process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);
for (const job of jobs) {
  current = job.page;
  process.chdir(job.cwd);
  const t = performance.now();
  results[job.page] = { ok: true };
  try { await import(pathToFileURL(job.file).href); }
  catch (e) { fail(e); }
  results[job.page].ms = Math.round(performance.now() - t);
  writeFileSync(${JSON.stringify(resultsFile)}, JSON.stringify(results));
}
process.exit(0);
`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", runner], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("close", () => {
      clearTimeout(timer);
      const results = new Map<string, RunOutcome>();
      let stored: Record<string, RunOutcome> = {};
      try {
        stored = JSON.parse(readFileSync(resultsFile, "utf8"));
      } catch {}
      for (const { page, file } of jobs) {
        const r = stored[page] ?? { ok: false, error: `did not finish within ${RUN_TIMEOUT_MS} ms\n${output}` };
        if (r.error && r.ms === undefined) r.error += `\n(the run stopped in this page)\n${output}`;
        results.set(page, { ...r, error: r.error && mapLines(file, r.error) });
      }
      resolve(results);
    });
  });
}

/** Rewrites `file:line:column` in a stack trace to the markdown line the code came from. */
function mapLines(file: string, text: string): string {
  const base = (file.split("/").pop() as string).replaceAll(".", "\\.");
  return text.replaceAll(new RegExp(`\\S*${base}:(\\d+)(:\\d+)?`, "g"), (_m, l) => where(file, Number(l)));
}

describe("documentation code blocks", () => {
  it.each(pages)("%s: every ts block type-checks against the sources", (page) => {
    expect(mains.get(page)?.program.blocks).toBeGreaterThan(0);
    expect(typeErrors.get(page)).toEqual([]);
  });

  it.each([...runnable])("%s: the blocks run in order on a fresh folder", (page) => {
    const outcome = outcomes.get(page);
    expect(outcome?.error ?? "").toBe("");
    expect(outcome?.ok).toBe(true);
  });
});
