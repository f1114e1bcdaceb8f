// `mlcycle experiments list | create | rename | delete | restore` on a workspace folder: what each
// prints, its --json, what it changed (read back with the library) and its exit codes.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Experiment, manualClock, openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { cells, runCli, runJson } from "./run-cli.js";

const T0 = Date.UTC(2025, 2, 1, 9, 30);

describe("mlcycle experiments", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-experiments-");
  const ws = join(cwd, "ws");
  const cli = (...args: string[]) => runCli([...args, "-w", ws], { cwd });

  beforeAll(async () => {
    await using w = await openWorkspace(ws, { clock: manualClock(T0) });
    await w.experiments.create("iris", { description: "flowers", tags: { team: "vision" } });
    await w.experiments.withRun({ experiment: "churn" }, () => undefined);
  });

  it("list: a table of the active experiments, oldest first; --json the records", async () => {
    const r = await cli("experiments", "list");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const [head, ...rows] = cells(r.stdout);
    expect(head).toEqual(["NAME", "ID", "LIFECYCLE", "CREATED", "TAGS", "DESCRIPTION"]);
    expect(rows.map((c) => [c[0], c[2], c[3]])).toEqual([
      ["iris", "active", "2025-03-01 09:30:00Z"],
      ["churn", "active", "2025-03-01 09:30:00Z"],
    ]);
    expect(rows[0].slice(4)).toEqual(["team=vision", "flowers"]);
    const json = await runJson<Experiment[]>(["experiments", "list", "-w", ws], { cwd });
    expect(json.map((e) => [e.name, e.lifecycle, e.tags])).toEqual([
      ["iris", "active", { team: "vision" }],
      ["churn", "active", {}],
    ]);
  });

  it("create, rename, delete, restore: one sentence each, the change stored", async () => {
    const created = await cli("experiments", "create", "fraud", "-d", "card fraud", "-t", "team=risk", "-t", "tier=1");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created experiment fraud \([0-9A-Z]{26}\)\n$/);
    expect((await cli("experiments", "rename", "fraud", "fraud-v2")).stdout).toBe(
      "renamed experiment fraud to fraud-v2\n",
    );
    const deleted = await cli("experiments", "delete", "fraud-v2", "churn");
    expect(deleted.stdout).toMatch(
      /^deleted experiment fraud-v2 \(restore it with: mlcycle experiments restore [0-9A-Z]{26}\)\n/,
    );
    expect(
      cells((await cli("experiments", "list")).stdout)
        .slice(1)
        .map((c) => c[0]),
    ).toEqual(["iris"]);
    expect(
      cells((await cli("experiments", "list", "--deleted")).stdout)
        .slice(1)
        .map((c) => c[0]),
    ).toEqual(["churn", "fraud-v2"]);
    const restored = await runJson<Experiment[]>(["experiments", "restore", "churn", "-w", ws], { cwd });
    expect(restored.map((e) => [e.name, e.lifecycle])).toEqual([["churn", "active"]]);
    await using w = await openWorkspace(ws);
    const fraud = await w.experiments.get("fraud-v2");
    expect(fraud).toMatchObject({ description: "card fraud", tags: { team: "risk", tier: "1" }, lifecycle: "deleted" });
    expect((await w.experiments.get("churn")).lifecycle).toBe("active");
  });

  it("create makes the workspace folder when it is missing; list refuses a folder without one", async () => {
    const fresh = join(cwd, "fresh");
    const missing = await runCli(["experiments", "list", "-w", fresh], { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mlcycle: no workspace at .*fresh: /);
    const e = await runJson<Experiment>(["experiments", "create", "first", "-w", fresh], { cwd });
    expect(e).toMatchObject({ name: "first", lifecycle: "active" });
    const viaEnv = await runCli(["experiments", "list"], { cwd, env: { MLCYCLE_WORKSPACE: fresh } });
    expect(cells(viaEnv.stdout)[1][0]).toBe("first");
  });

  it.each([
    [["experiments", "create", "iris"], 1, /^mlcycle: .*iris.*(exists|taken)/i],
    [["experiments", "rename", "nope", "x"], 1, /^mlcycle: experiment 'nope' not found/],
    [["experiments", "delete", "iris", "nope"], 1, /^mlcycle: experiment 'nope' not found/],
    [["experiments", "create"], 2, /^mlcycle: missing required argument 'NAME'/],
    [["experiments", "create", "x", "-t", "novalue"], 2, /'novalue' is not key=value/],
    [["experiments", "lst"], 2, /^mlcycle: unknown command 'lst'/],
  ])("%j → exit %i with one line", async (args, code, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")[0]).toMatch(message);
    expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
  });

  it("delete checks every name before deleting any", async () => {
    await using w = await openWorkspace(ws);
    expect((await w.experiments.get("iris")).lifecycle).toBe("active");
  });
});
