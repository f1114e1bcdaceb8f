// `mlcycle features list | materialize` on a feature store prepared with the library: the catalog
// as tables and JSON, materialisation (its summary, what reached the online store, a second
// incremental run), its progress bars on a terminal and none elsewhere, and its exit codes.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type MaterializeViewResult, openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { cells, hasScript, runCli, runInTerminal, runJson } from "./run-cli.js";
import type { FeatureCatalog } from "../../src/cli/features-command.js";

const T0 = Date.UTC(2025, 2, 1);

describe("mlcycle features", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-features-");
  const ws = join(cwd, "ws");
  const cli = (...args: string[]) => runCli([...args, "-w", ws], { cwd });

  beforeAll(async () => {
    await using w = await openWorkspace(ws);
    await w.features.applyEntity({ name: "user", joinKeys: { user_id: "string" }, description: "a customer" });
    await w.features.applyFeatureView({
      name: "activity",
      entities: ["user"],
      schema: z.object({ clicks: z.number(), plan: z.string() }),
      ttlMs: 86_400_000,
    });
    await w.features.applyFeatureView({ name: "profile", entities: ["user"], schema: z.object({ age: z.number() }) });
    await w.features.applyFeatureService({ name: "churn", features: ["activity:clicks", "profile:age"] });
    // 30,000 activity rows: 300 users, 100 events each, one second apart.
    await w.features.ingest(
      "activity",
      Array.from({ length: 30_000 }, (_, i) => ({
        user_id: `u${i % 300}`,
        event_timestamp: T0 + i * 1000,
        clicks: i % 17,
        plan: i % 3 ? "free" : "pro",
      })),
    );
    await w.features.ingest(
      "profile",
      Array.from({ length: 300 }, (_, i) => ({ user_id: `u${i}`, event_timestamp: T0, age: 20 + (i % 50) })),
    );
  }, 120_000);

  it("list: entities, feature views with their offline rows, feature services; --json", async () => {
    const r = await cli("features", "list");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe(
      [
        "entities",
        "  NAME  JOIN KEYS         DESCRIPTION",
        "  user  user_id (string)  a customer",
        "",
        "feature views",
        "  NAME      VERSION  ENTITIES  FEATURES          TTL  OFFLINE ROWS  ONLINE UNTIL",
        "  activity        1  user      clicks, plan       1d         30000  -",
        "  profile         1  user      age           forever           300  -",
        "",
        "feature services",
        "  NAME   VERSION  FEATURES",
        "  churn        1  activity:clicks, profile:age",
        "",
      ].join("\n"),
    );
    const json = await runJson<FeatureCatalog>(["features", "list", "-q", "activ", "-w", ws], { cwd });
    expect(json.entities).toEqual([]);
    expect(json.featureViews.map((v) => [v.name, v.offlineRows, v.materialization])).toEqual([
      ["activity", 30_000, undefined],
    ]);
  });

  it("materialize: a summary per view, no progress bar off a terminal; then the online store serves the values", async () => {
    const r = await cli("features", "materialize", "--view", "activity", "--chunk-size", "5000");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const rows = cells(r.stdout);
    expect(rows[0]).toEqual(["VIEW", "ROWS READ", "ONLINE WRITES", "COMPLETE UNTIL", "RESUMED"]);
    expect(rows.slice(1).map((c) => [c[0], c[1], c[2], c[4]])).toEqual([["activity", "30000", "300", "no"]]);
    await using w = await openWorkspace(ws);
    const online = await w.features.getOnlineFeatures([{ user_id: "u7" }], ["activity:clicks"]);
    // u7's latest event is row 29,707.
    expect(online.rows[0].eventTime.clicks).toBe(T0 + 29_707_000);
  });

  it("materialize --incremental: from where each view ended; --json", async () => {
    const json = await runJson<MaterializeViewResult[]>(["features", "materialize", "--incremental", "-w", ws], {
      cwd,
    });
    expect(json.map((v) => [v.view, v.rows, v.resumed])).toEqual([
      ["activity", 0, false],
      ["profile", 300, false],
    ]);
    const listed = await runJson<FeatureCatalog>(["features", "list", "-w", ws], { cwd });
    expect(listed.featureViews.every((v) => typeof v.materialization?.until === "number")).toBe(true);
  });

  it.skipIf(!hasScript)("materialize on a terminal draws a progress bar per view on it", async () => {
    const r = await runInTerminal(["features", "materialize", "--chunk-size", "3000", "-w", ws], { cwd });
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/activity +\|[█░]+\| 100% \| 30000\/30000 rows \| \d+ written \| ETA/);
    expect(r.output).toMatch(/profile +\|[█░]+\| 100% \| 300\/300 rows/);
    // The summary follows, with bold headings: a terminal gets colour.
    expect(r.output).toContain("\u001b[1mVIEW\u001b[22m");
  });

  it.each([
    [["features", "materialize", "--view", "nope"], 1, /^mlcycle: .*'nope'.*not found/],
    [
      ["features", "materialize", "--incremental", "--start", "0"],
      2,
      /^mlcycle: --incremental starts where the last run ended: it takes no --start$/,
    ],
    [["features", "materialize", "--chunk-size", "0"], 2, /--chunk-size must be an integer from 1 to 1000000/],
    [["features", "materialize", "--start", "yesterday"], 1, /^mlcycle: .*start/],
  ])("%j → exit %i with one line", async (args, code, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });
});
