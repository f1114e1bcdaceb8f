// `npm run demo` (examples/demo.ts), run as a user runs it — in a process of its own, in a folder of
// its own — twice: the loop closes (drift → alert → retrain → gate → promotion naming the alert → hot
// swap → resolved), the second run works and prints the same numbers and digests, and afterwards
// `mlcycle monitors alerts --json` on the demo's workspace lists the alert that started the retrain.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type AlertRecord, openWorkspace } from "../../src/index.js";
import { runCli } from "../cli/run-cli.js";
import { tempDir } from "../helpers.js";

const root = join(import.meta.dirname, "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;

function runDemo(cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", tsx, join(root, "examples", "demo.ts")], { cwd });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** The output with what differs by design from run to run masked: ids (ULIDs) and the workspace's absolute path. */
const masked = (s: string, cwd: string) => s.replaceAll(cwd, "<cwd>").replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, "<id>");

describe("npm run demo", () => {
  const cwd = tempDir("mlcycle-demo-");
  const dir = join(cwd, ".mlcycle", "demo");
  let first: Awaited<ReturnType<typeof runDemo>>;
  let second: Awaited<ReturnType<typeof runDemo>>;
  beforeAll(async () => {
    first = await runDemo(cwd);
    second = await runDemo(cwd); // over the first run's workspace
  }, 120_000);

  it("runs, twice, announcing each phase of the loop in order", () => {
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const phases = [...first.stdout.matchAll(/^── (.+?) ─+$/gm)].map((m) => m[1]);
    expect(phases).toEqual([
      "features",
      "training",
      "serving",
      "traffic",
      "drift injected",
      "alert",
      "retrain",
      "gate",
      "swap",
      "traffic goes on",
      "audit trail",
      "run search",
      "lineage",
      "try next",
    ]);
    expect(first.stdout).toContain(`Workspace: ${dir} (started afresh)`);
    expect(first.stdout).toContain("npx mlcycle monitors alerts --json --workspace .mlcycle/demo");
  });

  it("is deterministic: the second run prints the same numbers and digests", () => {
    expect(masked(second.stdout, cwd)).toBe(masked(first.stdout, cwd));
    expect(first.stdout).toMatch(
      /candidate churn@2 \(sha256 [0-9a-f]{12}\) accuracy 0\.\d{3} vs champion churn@1 0\.\d{3}/,
    );
  });

  it("prints lineage as a tree by parent: each node under what it was made from", () => {
    const tree = first.stdout.slice(
      first.stdout.indexOf("came from:"),
      first.stdout.indexOf("the reference the monitor"),
    );
    // The training set sits under the step that read it, the feature view under the build that read it.
    expect(tree).toMatch(/└─ step_run data\n.*└─ training_set training_set:[0-9a-f]{12}\n.*└─ training_set_build /);
    expect(tree).toMatch(/[├└]─ feature_view customer_activity/);
    expect(tree).toMatch(/└─ step_run train\n.*└─ step_output churn-train\/data \(as above\)/);
  });

  it("leaves the loop in its workspace: the alert, the promotion naming it, the swap, the new reference, the alert resolved", async () => {
    await using ws = await openWorkspace(dir);
    const alerts = await ws.monitors.alerts({ monitor: "churn" });
    const drift = alerts.filter((a) => a.rule === "drift");
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ status: "resolved", severity: "critical", figure: "dataset_drift", value: 1 });
    const [move] = await ws.registry.aliasHistory("churn", "champion");
    expect(move).toMatchObject({ action: "set", from: 1, to: 2, actor: "churn-train" });
    expect(move?.reason).toContain(`monitor alert ${drift[0].id}`);
    expect(move?.reason).toContain("passed beats-champion");
    // The run the alert started, and the swap: the log holds the champion's answers, then v2's.
    const runs = await ws.pipelines.list({ pipeline: "churn-train" });
    expect(runs.filter((r) => r.trigger === "event:monitor.alert").map((r) => r.status)).toEqual(["succeeded"]);
    const logged = (await ws.serving.listPredictions({ deployment: "churn", limit: 10_000 })).predictions;
    expect(logged.map((p) => p.version)).toEqual([...Array(300).fill(1), ...Array(100).fill(2)]);
    // Windows: the champion with its reference; after the swap, v2 with its own; the alert resolved then.
    const windows = await ws.monitors.windows("churn");
    expect(windows.map((w) => [w.model?.version, w.reference, w.figures.dataset_drift])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 1],
      [1, 1, 1],
      [2, 2, 0],
      [2, 2, 0],
    ]);
    expect(drift[0].window).toBe(windows[5].window);
    expect(drift[0].resolvedWindow).toBe(windows[6].window);
    const { references } = await ws.monitors.status("churn");
    expect(references.map((ref) => [ref.version, ref.model?.version, ref.source.kind])).toEqual([
      [1, 1, "training_set"],
      [2, 2, "training_set"],
    ]);
  });

  it("after it, mlcycle monitors alerts --json --workspace <demo dir> lists the alert that started the retrain", async () => {
    const r = await runCli(["monitors", "alerts", "--json", "--workspace", dir], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const alerts = JSON.parse(r.stdout) as AlertRecord[];
    const drift = alerts.find((a) => a.rule === "drift");
    expect(drift).toBeDefined();
    await using ws = await openWorkspace(dir);
    const [move] = await ws.registry.aliasHistory("churn", "champion");
    expect(move?.reason).toContain(`monitor alert ${drift?.id} `);
    const runs = await ws.pipelines.list({ pipeline: "churn-train" });
    expect(runs.find((run) => run.trigger === "event:monitor.alert")?.params).toMatchObject({ alert: drift?.id });
  });
});
