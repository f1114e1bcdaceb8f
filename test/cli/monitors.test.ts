// `mlcycle monitors list | status | alerts` on a workspace prepared here with the library: three
// monitors (one whose alert opened and resolved, one whose alert is open, one that closed no window
// yet) and a deployment's monitor with labels; each command's table and --json, and its exit codes.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type AlertRecord,
  functionModel,
  type MonitorStatus,
  type MonitorSummary,
  openWorkspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { normal, seeded, testClock } from "../monitoring/monitor-fixtures.js";
import { runCli, startServe } from "./run-cli.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 2, 1);
const W0 = T0 / MINUTE;

/** Rows of ages (older by `shift` × 10 years) and plans. */
function signups(rand: () => number, n: number, shift = 0) {
  return Array.from({ length: n }, () => ({
    age: Math.round(normal(rand, 40 + 10 * shift, 10)),
    plan: rand() < 0.3 ? "pro" : "free",
  }));
}

async function prepare(dir: string): Promise<void> {
  const clock = testClock(T0);
  await using ws = await openWorkspace(dir, { clock });
  const rand = seeded(3);
  const reference = signups(rand, 600);
  const open = (name: string) =>
    ws.monitors.open(name, {
      features: ["age", "plan"],
      window: { ms: MINUTE },
      checkIntervalMs: false,
      rules: [{ name: "drift", figure: "dataset_drift", threshold: 1, severity: "critical" }],
    });
  const signupsMonitor = await open("signups");
  await signupsMonitor.setReference({ rows: reference, name: "training" });
  const orders = await open("orders");
  await orders.setReference({ rows: reference });
  await open("idle"); // closes no window
  // A deployment's monitor, with labels as feedback.
  ws.registry.registerFunction(
    "elder",
    (s: { cut: number }) => (rows: number[][]) => rows.map(([age]) => (age > s.cut ? 1 : 0)),
  );
  const signature = { inputs: z.array(z.tuple([z.number()])).min(1), outputs: z.array(z.number().int()) };
  const v1 = await ws.registry.register("churn", { model: functionModel("elder", { cut: 50 }), signature });
  await ws.registry.setAlias("churn", "champion", v1.version);
  await using churn = await ws.serving.deploy<number[][], number[]>("churn@champion", {
    name: "churn",
    pollIntervalMs: false,
  });
  const watch = await ws.monitors.open("churn", {
    deployment: "churn",
    features: ["age"],
    label: "churned",
    window: { ms: MINUTE },
    graceMs: 0,
    checkIntervalMs: false,
  });
  await watch.setReference(
    { rows: reference.map((r) => ({ age: r.age, prediction: r.age > 50 ? 1 : 0 })) },
    {
      model: v1,
    },
  );
  for (const [i, s] of signups(rand, 60).entries()) {
    clock.set(T0 + i * 500);
    const p = await churn.predict([[s.age]]);
    await churn.feedback(p.predictionId, { label: [s.age > 55 ? 1 : 0] });
  }
  // signups: calm, drifted (its alert opens), calm again (it resolves). orders: drifted in its only
  // window, its alert stays open.
  for (const [w, shift] of [0, 2, 0].entries()) {
    signupsMonitor.observe(signups(rand, 200, shift), { at: T0 + w * MINUTE + 1_000 });
    if (w === 0) orders.observe(signups(rand, 200, 2), { at: T0 + 1_000 });
    clock.set(T0 + (w + 1) * MINUTE + 1);
    await ws.monitors.check();
  }
}

describe("mlcycle monitors", () => {
  const cwd = tempDir("mlcycle-cli-monitors-");
  const ws = join(cwd, "ws");
  const cli = (...args: string[]) => runCli(["monitors", ...args], { cwd });
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await cli(...args, "--json", "--workspace", ws);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    return JSON.parse(r.stdout) as T;
  };
  beforeAll(() => prepare(ws), 60_000);

  it("list --json: every monitor with what it watches, its latest window and its open alerts", async () => {
    const list = await json<MonitorSummary[]>("list");
    expect(list.map((m) => [m.name, m.deployment, m.window, m.latest?.window, m.latest?.rows, m.openAlerts])).toEqual([
      ["signups", undefined, { ms: MINUTE }, W0 + 2, 200, 0],
      ["orders", undefined, { ms: MINUTE }, W0, 200, 1],
      ["idle", undefined, { ms: MINUTE }, undefined, undefined, 0],
      ["churn", "churn", { ms: MINUTE }, W0, 60, 0],
    ]);
    expect(list[0]).not.toHaveProperty("open");
  });

  it("list: a table, one line per monitor", async () => {
    const r = await cli("list", "--workspace", ws);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME +WATCHES +WINDOWS +LATEST WINDOW +ROWS +OPEN ALERTS$/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      ["signups", "rows given to observe", "every 1m", "2025-03-01 00:02:00Z – 2025-03-01 00:03:00Z", "200", "0"],
      ["orders", "rows given to observe", "every 1m", "2025-03-01 00:00:00Z – 2025-03-01 00:01:00Z", "200", "1"],
      ["idle", "rows given to observe", "every 1m", "none closed yet", "-", "0"],
      ["churn", "deployment churn", "every 1m", "2025-03-01 00:00:00Z – 2025-03-01 00:01:00Z", "60", "0"],
    ]);
    // Columns line up: every line puts ROWS' last digit in the same place.
    const end = lines[0].indexOf("ROWS") + 4;
    for (const l of lines.slice(1)) expect(l.slice(0, end)).toMatch(/(\d|-)$/);
  });

  it("MLCYCLE_WORKSPACE is read when --workspace is not given; a workspace without monitors says so", async () => {
    const r = await runCli(["monitors", "list", "--json"], { cwd, env: { MLCYCLE_WORKSPACE: ws } });
    expect((JSON.parse(r.stdout) as MonitorSummary[]).map((m) => m.name)).toEqual([
      "signups",
      "orders",
      "idle",
      "churn",
    ]);
    {
      await using empty = await openWorkspace(join(cwd, "empty"));
      await empty.registry.createModel("nothing");
    }
    const none = await cli("list", "--workspace", join(cwd, "empty"));
    expect(none).toMatchObject({ code: 0, stdout: `no monitors in ${join(cwd, "empty")}\n` });
  });

  it("alerts --json: newest first, of every monitor, of one, or only the open ones", async () => {
    const all = await json<AlertRecord[]>("alerts");
    expect(all.map((a) => [a.monitor, a.rule, a.status, a.window - W0, a.severity])).toEqual([
      ["signups", "drift", "resolved", 1, "critical"],
      ["orders", "drift", "open", 0, "critical"],
    ]);
    // Newest first: by opening time (the signups alert opened when its second window closed).
    expect(all[0].openedAt).toBeGreaterThanOrEqual(all[1].openedAt);
    expect(all[0]).toMatchObject({ resolvedWindow: W0 + 2, figure: "dataset_drift", value: 1, op: ">=" });
    expect((await json<AlertRecord[]>("alerts", "signups")).map((a) => a.id)).toEqual([all[0].id]);
    expect((await json<AlertRecord[]>("alerts", "--open")).map((a) => a.id)).toEqual([all[1].id]);
    expect((await json<AlertRecord[]>("alerts", "--limit", "1")).map((a) => a.id)).toEqual([all[0].id]);
  });

  it("alerts: a table; none to show is said in words", async () => {
    const all = await json<AlertRecord[]>("alerts");
    const r = await cli("alerts", "--workspace", ws);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0].split(/ {2,}/)).toEqual([
      "ID",
      "MONITOR",
      "RULE",
      "SEVERITY",
      "STATUS",
      "CONDITION",
      "VALUE",
      "BREACHES",
      "OPENED",
      "RESOLVED",
    ]);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      [
        all[0].id,
        "signups",
        "drift",
        "critical",
        "resolved",
        "dataset_drift >= 1",
        "1",
        "1",
        expect.any(String),
        expect.stringMatching(/^2025-03-01 /),
      ],
      [all[1].id, "orders", "drift", "critical", "open", "dataset_drift >= 1", "1", "1", expect.any(String), "-"],
    ]);
    expect((await cli("alerts", "idle", "-w", ws)).stdout).toBe("no alerts of monitor idle\n");
    expect((await cli("alerts", "signups", "--open", "-w", ws)).stdout).toBe("no open alerts of monitor signups\n");
  });

  it("status --json: settings, references, the latest window's report and the open alerts", async () => {
    const s = await json<MonitorStatus>("status", "orders");
    expect(s).toMatchObject({ name: "orders", window: { ms: MINUTE }, openAlerts: 1 });
    expect(s.config.columns.map((c) => [c.name, c.role])).toEqual([
      ["age", "feature"],
      ["plan", "feature"],
    ]);
    expect(s.references.map((r) => [r.version, r.rows, r.source.kind])).toEqual([[1, 600, "rows"]]);
    expect(s.latestResult?.figures.dataset_drift).toBe(1);
    expect(s.latestResult?.report).toMatchObject({ drift: { drifted: true } });
    expect(s.alerts.map((a) => [a.rule, a.status])).toEqual([["drift", "open"]]);
  });

  it("status: settings, rules, references, the latest window's drift per column, quality, performance and service", async () => {
    const r = await cli("status", "churn", "--workspace", ws);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^monitor churn: watches deployment churn, windows every 1m \(closed 0ms after they end\)\n/);
    expect(out).toMatch(/\n {2}features +age\n {2}predictions +prediction\n {2}label +churned\n/);
    expect(out).toMatch(
      /\nrules\n {2}NAME +CONDITION +MIN ROWS +WINDOWS +SEVERITY\n {2}dataset-drift +dataset_drift >= 1 +1 +1 +warning\n/,
    );
    expect(out).toMatch(
      /\nreferences\n {2}VERSION +MODEL +ROWS +SOURCE +DIGEST +CREATED\n +1 +churn@1 +600 +rows +[0-9a-f]{12} +2025-03-01 00:00:00Z\n/,
    );
    expect(out).toMatch(
      /\nlatest window 2025-03-01 00:00:00Z – 2025-03-01 00:01:00Z: 60 rows, answered by churn@1, compared with reference 1\n/,
    );
    expect(out).toMatch(/\n {2}COLUMN +ROLE +METHOD +STATISTIC +P-VALUE +THRESHOLD +DRIFTED\n {2}age +feature +ks /);
    expect(out).toMatch(/\n {2}prediction +prediction +z /);
    expect(out).toMatch(/\n {2}dataset drift: no \(0 of 1 columns drifted, share 0 against 0\.5\)\n/);
    expect(out).toMatch(/\n {2}performance \(60 labelled rows\): accuracy_score [\d.]+, /);
    expect(out).toMatch(/\n {2}service: 60 calls, 0 errors, latency p50 /);
    expect(out).toMatch(/\nopen alerts\n {2}none\n$/);

    const idle = await cli("status", "idle", "-w", ws);
    expect(idle.stdout).toMatch(/\nreferences\n {2}none: set one with monitor\.setReference/);
    expect(idle.stdout).toMatch(/\nlatest window: none closed yet\n/);
    const orders = await cli("status", "orders", "-w", ws);
    expect(orders.stdout).toMatch(/\n {2}dataset drift: yes \(/);
    expect(orders.stdout).toMatch(
      /\nopen alerts\n {2}ID +MONITOR .*\n {2}[0-9A-Z]{26} +orders +drift +critical +open /,
    );
  });

  it("mlcycle serve --metrics: the workspace's monitor figures on GET /metrics, behind the serving token", async () => {
    const module = join(cwd, "register.mjs");
    writeFileSync(
      module,
      `export default (ws) => ws.registry.registerFunction("elder", (s) => (rows) => rows.map(([age]) => (age > s.cut ? 1 : 0)));\n`,
    );
    const served = await startServe(
      ["churn@champion", "--port", "0", "--token", "t0ken", "--metrics", "--module", module, "--workspace", ws],
      { cwd },
    );
    try {
      expect(served.output().stdout).toContain(`metrics on ${served.url}/metrics\n`);
      const res = await fetch(`${served.url}/metrics`, { headers: { authorization: "Bearer t0ken" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = await res.text();
      expect(text).toMatch(/^mlcycle_monitor_rows\{monitor="churn",deployment="churn"\} 60$/m);
      expect(text).toMatch(/^mlcycle_monitor_alert_open\{monitor="orders",rule="drift",severity="critical"\} 1$/m);
      expect((await fetch(`${served.url}/metrics`)).status).toBe(401);
    } finally {
      served.child.kill("SIGTERM");
      expect(await served.exited).toBe(0);
    }
  });

  it.each([
    [["status", "nope"], /^mlcycle: monitor 'nope' not found in .*: its monitors are signups, orders, idle, churn$/],
    [["alerts", "nope"], /^mlcycle: monitor 'nope' not found in /],
  ])("a monitor that does not exist %j → exit 1 with one line", async (args, message) => {
    const r = await cli(...args, "--workspace", ws);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it("a folder without a workspace → exit 1 with one line, and no workspace is created there", async () => {
    for (const args of [["list"], ["alerts", "x"]]) {
      const r = await cli(...args, "--workspace", "no-such-workspace");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^mlcycle: no workspace at .*no-such-workspace: point --workspace or MLCYCLE_WORKSPACE at/,
      );
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(existsSync(join(cwd, "no-such-workspace"))).toBe(false);
  });

  it.each([
    [["status"], /missing required argument 'NAME'/],
    [["alerts", "--limit", "0"], /--limit must be an integer from 1 to 10000/],
    [["lst"], /unknown command 'lst'/],
  ])("a usage error %j → exit 2", async (args, message) => {
    const r = await cli(...args, "--workspace", ws);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^mlcycle: /);
    expect(r.stderr).toMatch(message);
  });
});
