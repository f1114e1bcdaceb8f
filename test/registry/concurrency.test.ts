import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { functionModel, openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();

function child(
  wsDir: string,
  go: string,
  count: number,
  mode = "register",
): { ready: Promise<void>; done: Promise<number[]> } {
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const done = new Promise<number[]>((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "register-child.ts"), wsDir, go, String(count), mode],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
      if (out.startsWith("ready\n")) ready();
    });
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").at(-1)!))
        : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
  done.catch(() => ready());
  return { ready: isReady, done };
}

describe("version numbers across processes", () => {
  it("gives distinct consecutive numbers to processes registering the same model at once", async () => {
    const wsDir = join(dir, "ws");
    const go = join(dir, "go");
    // Create the folder and schema first so the children race on registering, not on migrating.
    await (await openWorkspace(wsDir)).close();
    const children = [child(wsDir, go, 8), child(wsDir, go, 8), child(wsDir, go, 8)];
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(go, "");
    const results = await Promise.all(children.map((c) => c.done));
    const all = results.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const r of results) expect(r).toEqual([...r].sort((a, b) => a - b));

    await using ws = await openWorkspace(wsDir);
    const versions = await ws.registry.listVersions("race");
    expect(versions.map((v) => v.version)).toEqual(all);
    expect(new Set(versions.map((v) => v.digest)).size).toBe(24);
    expect((await ws.registry.searchModels({ nameLike: "race" })).length).toBe(1);
    const next = await ws.registry.register("race", { model: functionModel("f", { last: true }) });
    expect(next.version).toBe(25);
  }, 60_000);

  it("keeps the alias audit trail one unbroken chain when processes move and roll back an alias at once", async () => {
    const wsDir = join(dir, "alias");
    const go = join(dir, "go-alias");
    {
      await using ws = await openWorkspace(wsDir);
      for (let i = 0; i < 5; i++) await ws.registry.register("race", { model: functionModel("f", { i }) });
    }
    const children = [child(wsDir, go, 12, "alias"), child(wsDir, go, 12, "alias"), child(wsDir, go, 12, "alias")];
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(go, "");
    await Promise.all(children.map((c) => c.done));

    await using ws = await openWorkspace(wsDir);
    const trail = (await ws.registry.aliasHistory("race", "champion")).reverse();
    expect(trail.length).toBeGreaterThan(10);
    expect(trail[0].from).toBeUndefined();
    // Every move starts where the previous one ended: no move was lost or applied twice.
    for (let i = 1; i < trail.length; i++) expect(trail[i].from).toBe(trail[i - 1].to);
    expect((await ws.registry.getVersion("race@champion")).version).toBe(trail.at(-1)?.to);
    expect(new Set(trail.map((t) => t.actor)).size).toBe(3);
  }, 60_000);
});
