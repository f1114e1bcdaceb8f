// `mlcycle lineage upstream | downstream NODE` on lineage recorded by the library: a dataset read by
// a tracking run that produced a registered model version, and a training set built from a feature
// view. Nodes named every way the command takes them; trees, --hops, --json and exit codes.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { functionModel, type LineageGraph, openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { runCli, runJson } from "./run-cli.js";

const DIGEST = "cd".repeat(32);

describe("mlcycle lineage", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-lineage-");
  const ws = join(cwd, "ws");
  const cli = (...args: string[]) => runCli([...args, "-w", ws], { cwd });
  let runId = "";
  let modelDigest = "";

  beforeAll(async () => {
    await using w = await openWorkspace(ws);
    w.registry.registerFunction("zero", () => (rows: number[][]) => rows.map(() => 0));
    runId = await w.experiments.withRun({ experiment: "churn", name: "train-1" }, async (run) => {
      await run.logInput({ name: "signups", digest: DIGEST, context: "training" });
      return run.id;
    });
    const v = await w.registry.register("churn", { model: functionModel("zero", {}), runId });
    modelDigest = v.digest;
    await w.registry.setAlias("churn", "champion", v.version);
    await w.features.applyEntity({ name: "user", joinKeys: { user_id: "string" } });
    await w.features.applyFeatureView({
      name: "activity",
      entities: ["user"],
      schema: z.object({ clicks: z.number() }),
    });
    await w.features.ingest("activity", [{ user_id: "u1", event_timestamp: 1_000, clicks: 3 }]);
    await w.features.getHistoricalFeatures({
      entityRows: [{ user_id: "u1", event_timestamp: 2_000 }],
      features: ["activity:clicks"],
      name: "churn-training",
    });
  }, 120_000);

  it("upstream of a model version (by alias): the run that trained it and the dataset it read", async () => {
    const r = await cli("lineage", "upstream", "churn@champion");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe(
      [
        `model_version churn/1 (sha256 ${modelDigest.slice(0, 12)}, model_version:churn/1)`,
        `└── tracking_run train-1 (run:${runId})`,
        `    └── dataset signups (sha256 ${DIGEST.slice(0, 12)}, dataset:${DIGEST.slice(0, 12)}…)`,
        "",
      ].join("\n"),
    );
    // The same node by its external id, by models:/ URI, and --hops 1 stops at the run.
    expect((await cli("lineage", "up", "model_version:churn/1")).stdout).toBe(r.stdout);
    expect((await cli("lineage", "up", "models:/churn/1")).stdout).toBe(r.stdout);
    const near = await cli("lineage", "up", "churn@1", "--hops", "1");
    expect(near.stdout.trimEnd().split("\n")).toHaveLength(2);
  });

  it("downstream of a dataset: the runs that read it and the models they made; a run id names its run", async () => {
    const r = await cli("lineage", "downstream", `dataset:${DIGEST}`);
    expect(r.stdout.trimEnd().split("\n")).toEqual([
      `dataset signups (sha256 ${DIGEST.slice(0, 12)}, dataset:${DIGEST.slice(0, 12)}…)`,
      `└── tracking_run train-1 (run:${runId})`,
      `    └── model_version churn/1 (sha256 ${modelDigest.slice(0, 12)}, model_version:churn/1)`,
    ]);
    const run = await cli("lineage", "down", runId);
    expect(run.stdout.split("\n")[0]).toBe(`tracking_run train-1 (run:${runId})`);
  });

  it("downstream of a feature view: the training sets built from it; --json the subgraph", async () => {
    const r = await cli("lineage", "down", "feature_view:activity");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^feature_view activity \(sha256 [0-9a-f]{12}, feature_view:activity\)$/);
    expect(lines[1]).toMatch(/^└── training_set_build \S+/);
    expect(lines[2]).toMatch(
      /^ {4}└── training_set churn-training \(sha256 [0-9a-f]{12}, training_set:[0-9a-f]{12}…\)$/,
    );
    const json = await runJson<LineageGraph>(["lineage", "down", "feature_view:activity", "-w", ws], { cwd });
    expect(json.root.externalId).toBe("feature_view:activity");
    expect(json.nodes.map((n) => [n.type, n.hops])).toEqual([
      ["feature_view", 0],
      ["training_set_build", 1],
      ["training_set", 2],
    ]);
    expect(json.edges).toHaveLength(2);
  });

  it("a node with nothing on that side says so; an unknown node exits 1, a bad --hops 2", async () => {
    const r = await cli("lineage", "down", "churn@champion");
    expect(r.stdout.trimEnd().split("\n")).toEqual([
      `model_version churn/1 (sha256 ${modelDigest.slice(0, 12)}, model_version:churn/1)`,
      "(nothing downstream)",
    ]);
    const unknown = await cli("lineage", "up", "nope@9");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^mlcycle: no lineage node 'nope@9': give a node id, an external id/);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect((await cli("lineage", "up", "churn@1", "--hops", "-1")).code).toBe(2);
  });
});
