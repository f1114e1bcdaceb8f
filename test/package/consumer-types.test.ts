import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "mlcycle-consumer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Type-checks a consumer module against the built declarations (dist/*.d.ts), as a user would. */
function check(source: string): string[] {
  const file = join(dir, `consumer-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, source.replaceAll("MLCYCLE", join(root, "dist", "index.js")));
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("the built declarations, seen from a user's project", () => {
  it("type every domain's events on ws.events and the workspace options", () => {
    const errors = check(`
      import { createWorkspace } from "MLCYCLE";
      const ws = await createWorkspace({ tracking: { flushIntervalMs: 100 } });
      ws.events.on("run.ended", (e) => { const s: "finished" | "failed" | "killed" = e.status; void s; });
      ws.events.on("model.alias.moved", (e) => { const m: string = e.model; void m; });
      ws.events.on("pipeline.step.finished", (e) => { const d: number = e.durationMs; void d; });
      ws.events.on("features.ingested", (e) => { const n: number = e.rows; void n; });
      await ws.close();
    `);
    expect(errors).toEqual([]);
  });

  it("reject an unknown event and a wrong payload type", () => {
    const errors = check(`
      import { createWorkspace } from "MLCYCLE";
      const ws = await createWorkspace();
      ws.events.on("no.such.event", () => {});
      ws.events.on("run.ended", (e) => { const n: number = e.status; void n; });
    `);
    expect(errors).toHaveLength(2);
  });
});
