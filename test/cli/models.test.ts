// `mlcycle models list | versions | aliases | promote | rollback | history` on a registry prepared
// with the library: what each prints, its --json, the alias moves it makes (read back with the
// library, with their audit records) and its exit codes.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AliasMove,
  functionModel,
  manualClock,
  type ModelVersion,
  openWorkspace,
  type RegisteredModel,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { cells, runCli, runJson } from "./run-cli.js";

const T0 = Date.UTC(2025, 2, 1, 9, 30);

describe("mlcycle models", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-models-");
  const ws = join(cwd, "ws");
  const cli = (...args: string[]) => runCli([...args, "-w", ws], { cwd, env: { MLCYCLE_ACTOR: "ci" } });
  let runId = "";

  beforeAll(async () => {
    const clock = manualClock(T0);
    await using w = await openWorkspace(ws, { clock });
    w.registry.registerFunction("times", (s: { k: number }) => (rows: number[][]) => rows.map((r) => r[0] * s.k));
    runId = await w.experiments.withRun({ experiment: "churn" }, async (run) => {
      run.logMetric("auc", 0.81);
      return run.id;
    });
    await w.registry.register("churn", {
      model: functionModel("times", { k: 1 }),
      runId,
      description: "first",
      actor: "ana",
    });
    clock.advance(60_000);
    await w.registry.register("churn", {
      model: functionModel("times", { k: 2 }),
      metrics: { auc: 0.84 },
      actor: "ana",
    });
    clock.advance(60_000);
    await w.registry.register("churn", { model: functionModel("times", { k: 3 }), actor: "bo" });
    await w.registry.setAlias("churn", "champion", 1, { actor: "ana", reason: "first model" });
    clock.advance(60_000);
    await w.registry.setAlias("churn", "champion", 2, { actor: "ana", reason: "auc +3 points" });
    await w.registry.setAlias("churn", "challenger", 3, { actor: "bo", reason: "to try" });
    await w.registry.register("fraud", { model: functionModel("times", { k: 9 }), description: "card fraud" });
    await w.registry.setPolicy("fraud", "champion", { requireApproval: true });
  }, 120_000);

  it("list: each model with its latest version and aliases; --json the models", async () => {
    const r = await cli("models", "list");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME +LATEST +ALIASES +UPDATED +DESCRIPTION$/);
    expect(lines[1]).toMatch(/^churn +3 +challenger→3, champion→2 +2025-03-01 09:3\d:00Z$/);
    expect(lines[2]).toMatch(/^fraud +1 +2025-03-01 09:3\d:00Z$/);
    expect(lines).toHaveLength(3);
    const json = await runJson<RegisteredModel[]>(["models", "list", "--name-like", "ch%", "-w", ws], { cwd });
    expect(json.map((m) => [m.name, m.latestVersion, m.aliases])).toEqual([
      ["churn", 3, { champion: 2, challenger: 3 }],
    ]);
  });

  it("versions: one line per version with flavor, aliases, author, source run and metrics", async () => {
    const r = await cli("models", "versions", "churn");
    expect(r.code).toBe(0);
    const [head, ...rows] = cells(r.stdout);
    expect(head).toEqual(["VERSION", "FLAVOR", "ALIASES", "CREATED", "BY", "SOURCE RUN", "METRICS", "DIGEST"]);
    expect(rows).toEqual([
      ["1", "function", "2025-03-01 09:30:00Z", "ana", runId, "auc=0.81", expect.stringMatching(/^[0-9a-f]{12}$/)],
      [
        "2",
        "function",
        "champion",
        "2025-03-01 09:31:00Z",
        "ana",
        "-",
        "auc=0.84",
        expect.stringMatching(/^[0-9a-f]{12}$/),
      ],
      ["3", "function", "challenger", "2025-03-01 09:32:00Z", "bo", "-", expect.stringMatching(/^[0-9a-f]{12}$/)],
    ]);
    const json = await runJson<ModelVersion[]>(["models", "versions", "churn", "-w", ws], { cwd });
    expect(json.map((v) => [v.version, v.aliases])).toEqual([
      [1, []],
      [2, ["champion"]],
      [3, ["challenger"]],
    ]);
  });

  it("aliases: where each points, when it moved, by whom and why", async () => {
    const r = await cli("models", "aliases", "churn");
    expect(cells(r.stdout)).toEqual([
      ["ALIAS", "VERSION", "SINCE", "BY", "REASON"],
      ["challenger", "3", "2025-03-01 09:33:00Z", "bo", "to try"],
      ["champion", "2", "2025-03-01 09:33:00Z", "ana", "auc +3 points"],
    ]);
    const json = await runJson(["models", "aliases", "churn", "-w", ws], { cwd });
    expect(json).toEqual([
      { alias: "challenger", version: 3, movedAt: T0 + 180_000, actor: "bo", reason: "to try" },
      { alias: "champion", version: 2, movedAt: T0 + 180_000, actor: "ana", reason: "auc +3 points" },
    ]);
  });

  it("promote moves an alias (to a number, another alias or latest) and rollback undoes it, both audited", async () => {
    const up = await cli("models", "promote", "churn", "champion", "challenger", "--reason", "won the A/B test");
    expect(up).toMatchObject({ code: 0, stdout: "churn@champion: 2 → 3\n", stderr: "" });
    const back = await runJson<AliasMove>(
      ["models", "rollback", "churn", "champion", "--actor", "oncall", "--reason", "error rate up", "-w", ws],
      { cwd },
    );
    expect(back).toMatchObject({
      model: "churn",
      alias: "champion",
      action: "rollback",
      from: 3,
      to: 2,
      actor: "oncall",
    });
    expect((await cli("models", "promote", "churn", "staging", "latest")).stdout).toBe("churn@staging: (new) → 3\n");
    expect((await cli("models", "promote", "churn", "staging", "1")).stdout).toBe("churn@staging: 3 → 1\n");
    await using w = await openWorkspace(ws);
    expect(await w.registry.aliases("churn")).toEqual({ champion: 2, challenger: 3, staging: 1 });
    const [rollback, promotion] = await w.registry.aliasHistory("churn", "champion", { limit: 2 });
    expect(rollback).toMatchObject({ action: "rollback", actor: "oncall", reason: "error rate up" });
    // MLCYCLE_ACTOR names who moved it when --actor is not given.
    expect(promotion).toMatchObject({ action: "set", from: 2, to: 3, actor: "ci", reason: "won the A/B test" });
  });

  it("history: the audit trail, newest first, of a model or of one alias", async () => {
    const r = await cli("models", "history", "churn", "champion");
    const [head, ...rows] = cells(r.stdout);
    expect(head).toEqual(["AT", "ALIAS", "ACTION", "FROM", "TO", "ACTOR", "REASON"]);
    expect(rows.map((c) => c.slice(1, 6))).toEqual([
      ["champion", "rollback", "3", "2", "oncall"],
      ["champion", "set", "2", "3", "ci"],
      ["champion", "set", "1", "2", "ana"],
      ["champion", "set", "-", "1", "ana"],
    ]);
    const all = await runJson<AliasMove[]>(["models", "history", "churn", "--limit", "2", "-w", ws], { cwd });
    expect(all.map((m) => [m.alias, m.to])).toEqual([
      ["staging", 1],
      ["staging", 3],
    ]);
    expect((await cli("models", "history", "fraud")).stdout).toBe("no alias moves of fraud\n");
  });

  it.each([
    [["models", "versions", "nope"], 1, /^mlcycle: .*'nope' not found/],
    [["models", "aliases", "nope"], 1, /^mlcycle: .*'nope' not found/],
    [["models", "promote", "churn", "champion", "9"], 1, /^mlcycle: .*churn.*9.*not found/],
    [["models", "promote", "fraud", "champion", "1"], 1, /^mlcycle: .*approv/i],
    [["models", "rollback", "fraud", "champion"], 1, /^mlcycle: /],
    [["models", "promote", "churn", "champion"], 2, /^mlcycle: missing required argument 'VERSION'/],
    [["models", "history", "churn", "--limit", "0"], 2, /--limit must be an integer from 1 to 100000/],
  ])("%j → exit %i with one line", async (args, code, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
