import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, string | { import: string; types: string }>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const optionalPeers = Object.keys(pkg.peerDependenciesMeta).filter((p) => pkg.peerDependenciesMeta[p]?.optional);
const entries = Object.entries(pkg.exports).filter(([, v]) => typeof v === "object") as Array<
  [string, { import: string; types: string }]
>;

describe("the built package (dist, as `npm test` builds it first)", () => {
  it.each(entries)("entry %s imports from dist", async (_name, target) => {
    const mod = await import(pathToFileURL(join(root, target.import)).href);
    expect(Object.keys(mod).length).toBeGreaterThan(0);
    expect(readFileSync(join(root, target.types), "utf8").length).toBeGreaterThan(0);
  });

  it.each(["index.js", "http.js", "s3.js", "bullmq.js", "postgres.js", "duckdb.js"])(
    "dist/%s loads no optional peer: none is imported statically by it or its chunks",
    (entry) => {
      const seen = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, "utf8");
        for (const peer of optionalPeers) {
          const staticImport = new RegExp(`(?:^|\\n)\\s*import[^;]*?from\\s*["']${peer}["']`);
          expect(staticImport.test(text), `${file} imports ${peer}`).toBe(false);
        }
        for (const m of text.matchAll(/from\s*["'](\.\/[^"']+)["']/g)) visit(join(root, "dist", m[1] as string));
      };
      visit(join(root, "dist", entry));
      expect(seen.size).toBeGreaterThan(0);
    },
  );

  it("dist/s3.d.ts imports nothing of @aws-sdk: mlcycle/s3 type-checks without the SDK installed", () => {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, "dist", "s3.d.ts"), "utf8"), true, true);
    expect(importedFiles.length).toBeGreaterThan(0);
    expect(importedFiles.map((f) => f.fileName).filter((name) => name.startsWith("@aws-sdk"))).toEqual([]);
  });

  it("dist/redis.js and its chunks never import ioredis: the store takes the caller's client", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      expect(/["']ioredis["']/.test(text), `${file} names ioredis`).toBe(false);
      for (const m of text.matchAll(/from\s*["'](\.\/[^"']+)["']/g)) visit(join(root, "dist", m[1] as string));
    };
    visit(join(root, "dist", "redis.js"));
    expect(seen.size).toBeGreaterThan(1);
  });

  it("dist/bullmq.js never imports ioredis, and bullmq only on first use; dist/bullmq.d.ts names neither", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      expect(/["']ioredis["']/.test(text), `${file} names ioredis`).toBe(false);
      expect(/(?:from|import)\s*\(?\s*["']bullmq["']/.test(text), `${file} imports bullmq by name`).toBe(false);
      for (const m of text.matchAll(/from\s*["'](\.\/[^"']+)["']/g)) visit(join(root, "dist", m[1] as string));
    };
    visit(join(root, "dist", "bullmq.js"));
    expect(seen.size).toBeGreaterThan(1);
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, "dist", "bullmq.d.ts"), "utf8"), true, true);
    expect(importedFiles.map((f) => f.fileName).filter((name) => name === "bullmq" || name === "ioredis")).toEqual([]);
  });

  it("dist/duckdb.js and its chunks never import @duckdb/node-api: the store takes the caller's instance", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      expect(/["']@duckdb\/node-api["']/.test(text), `${file} names @duckdb/node-api`).toBe(false);
      for (const m of text.matchAll(/from\s*["'](\.\/[^"']+)["']/g)) visit(join(root, "dist", m[1] as string));
    };
    visit(join(root, "dist", "duckdb.js"));
    expect(seen.size).toBeGreaterThan(1);
  });

  it("dist/postgres.js and its chunks never name pg, and dist/postgres.d.ts imports nothing of it: the store takes the caller's pool", () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      expect(/["'](pg|pg-[a-z-]+)["']/.test(text), `${file} names pg`).toBe(false);
      for (const m of text.matchAll(/from\s*["'](\.\/[^"']+)["']/g)) visit(join(root, "dist", m[1] as string));
    };
    visit(join(root, "dist", "postgres.js"));
    expect(seen.size).toBeGreaterThan(1);
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, "dist", "postgres.d.ts"), "utf8"), true, true);
    expect(
      importedFiles.map((f) => f.fileName).filter((name) => name === "pg" || name.startsWith("@types/pg")),
    ).toEqual([]);
  });

  it("the http entry serves a deployment-like object from dist over a socket", async () => {
    const http = await import(pathToFileURL(join(root, "dist", "http.js")).href);
    const deployment = {
      name: "d",
      ref: "m@1",
      predict: async (rows: number[][]) => ({
        predictionId: "01J00000000000000000000000",
        outputs: rows.map((r) => r[0] * 2),
        model: "m",
        version: 1,
        models: [],
        latencyMs: 0,
      }),
      describe: () => ({ name: "d", ref: "m@1", model: "m", version: 1, versionId: "v", flavor: "function" }),
      health: () => ({ ready: true, state: "ready" }),
    };
    const server = await http.serveHttp(http.createHttpHandler(deployment, { auth: { token: "t" } }), { port: 0 });
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer t" },
      body: JSON.stringify({ inputs: [[1], [2]] }),
    });
    expect(await res.json()).toEqual({ predictions: [2, 4] });
    await server.close();
  });

  it("the bin `mlcycle` is dist/cli.js: an executable node script that runs", () => {
    const bin = (pkg as unknown as { bin: Record<string, string> }).bin.mlcycle;
    expect(bin).toBe("./dist/cli.js");
    const file = join(root, bin);
    expect(readFileSync(file, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(execFileSync(process.execPath, [file, "--version"], { encoding: "utf8" }).trim()).toBe(
      (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version,
    );
  });

  it("the main entry opens a workspace from dist", async () => {
    const mod = await import(pathToFileURL(join(root, "dist", "index.js")).href);
    const ws = await mod.createWorkspace();
    const a = await ws.lineage.recordArtifact({ type: "dataset", name: "d" });
    expect(a.kind).toBe("artifact");
    await ws.close();
  });
});
