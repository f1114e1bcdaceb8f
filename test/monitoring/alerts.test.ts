import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  compareFigure,
  judgeRule,
  type MonitorMetrics,
  prometheusExporter,
  prometheusText,
  verifyWebhookSignature,
  type Workspace,
} from "../../src/index.js";
import { listen, monitorWorkspaces, normal, seeded, testClock } from "./monitor-fixtures.js";

const MINUTE = 60_000;

function rows(seed: number, n: number, mean: number, extra: Record<string, unknown> = {}) {
  const rand = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({ id: `${seed}-${i}`, x: normal(rand, mean, 1), ...extra }));
}

/** A stream monitor of `x` with a drift rule that must hold for two windows and a range rule. */
async function driftMonitor(ws: Workspace) {
  const monitor = await ws.monitors.open("stream", {
    features: ["x"],
    window: { ms: MINUTE },
    idColumn: "id",
    checkIntervalMs: false,
    rules: [
      { name: "drift", figure: "dataset_drift", threshold: 1, windows: 2, minRows: 50, severity: "critical" },
      { name: "range", figure: "out_of_range.x", op: ">", threshold: 0 },
    ],
  });
  await monitor.setReference({ rows: rows(1, 500, 0) });
  return monitor;
}

describe.each(monitorWorkspaces())("alerts (%s)", (_kind, open) => {
  it("open after N consecutive windows, one per rule until it resolves, and are emitted and stored", async () => {
    const clock = testClock(0);
    await using ws = await open({ clock });
    const monitor = await driftMonitor(ws);
    const alerts = listen(ws, "monitor.alert");
    const resolved = listen(ws, "monitor.resolved");
    // Means per window: 0 (fine), 3 (drift), 3 (drift: the rule has held twice), 3, 0 (resolves).
    // Window 5 has 10 drifted rows: under minRows, not judged. Window 6 drifts again: a new alert needs two windows.
    const plan: Array<[number, number]> = [
      [0, 100],
      [3, 100],
      [3, 100],
      [3, 100],
      [0, 100],
      [3, 10],
      [3, 100],
    ];
    for (const [w, [mean, n]] of plan.entries()) monitor.observe(rows(10 + w, n, mean), { at: w * MINUTE + 1 });
    clock.set(plan.length * MINUTE);
    const reports = await monitor.check();
    expect(reports.map((r) => r.drift?.drifted)).toEqual([false, true, true, true, false, true, true]);
    expect(alerts.map((a) => [a.rule, a.window])).toEqual([
      ["range", 1],
      ["drift", 2],
      ["range", 5],
    ]);
    expect(resolved.map((r) => [r.rule, r.window])).toEqual([
      ["drift", 4],
      ["range", 4],
    ]);
    const stored = await monitor.alerts();
    const drift = stored.find((a) => a.rule === "drift" && a.status === "resolved");
    expect(drift).toMatchObject({
      severity: "critical",
      figure: "dataset_drift",
      window: 2,
      lastWindow: 3,
      breaches: 2,
      resolvedWindow: 4,
      value: 1,
      op: ">=",
      threshold: 1,
    });
    expect(drift?.message).toMatch(/dataset_drift = 1 >= 1 for 2 windows \(rule drift, window 2\); drifted: x/);
    expect(drift?.details).toMatchObject({ drifted: ["x"], rows: 100 });
    expect(alerts[1].id).toBe(drift?.id);
    // Open now: the range alert of window 5 (still breached in window 6).
    const openOnes = await ws.monitors.alerts({ status: "open" });
    expect(openOnes.map((a) => [a.rule, a.window, a.lastWindow, a.breaches])).toEqual([["range", 5, 6, 2]]);
    expect((await ws.monitors.alert(alerts[0].id)).status).toBe("resolved");
    // The status of a stored monitor, as the CLI shows it.
    const status = await ws.monitors.status("stream");
    expect(status.openAlerts).toBe(1);
    expect(status.latest?.window).toBe(6);
    expect(status.references.map((r) => r.version)).toEqual([1]);
    expect((await ws.monitors.list()).map((m) => [m.name, m.open, m.openAlerts])).toEqual([["stream", true, 1]]);
  });

  it("are exported: Prometheus text from the store, a GET /metrics handler, and exporters fed as windows close", async () => {
    const clock = testClock(0);
    await using ws = await open({ clock });
    const exporter = prometheusExporter();
    ws.monitors.addExporter(exporter);
    const monitor = await driftMonitor(ws);
    monitor.observe(rows(2, 100, 3), { at: 1 });
    clock.set(MINUTE);
    await monitor.check();
    const text = await ws.monitors.prometheus();
    expect(text).toContain("# TYPE mlcycle_monitor_drift_share gauge");
    expect(text).toContain('mlcycle_monitor_drift_share{monitor="stream"} 1');
    expect(text).toContain('mlcycle_monitor_column_drifted{monitor="stream",column="x"} 1');
    expect(text).toContain('mlcycle_monitor_rows{monitor="stream"} 100');
    expect(text).toContain('mlcycle_monitor_window{monitor="stream"} 0');
    expect(text).toContain('mlcycle_monitor_alert_open{monitor="stream",rule="range",severity="warning"} 1');
    // Every sample line is `name{labels} value`, each family announced once.
    for (const line of text.trimEnd().split("\n"))
      expect(line).toMatch(/^(# (HELP|TYPE) mlcycle_monitor_\w+ .+|mlcycle_monitor_\w+\{[^}]*\} -?[\d.e+-]+|.* NaN)$/);
    const handler = ws.monitors.metricsHandler();
    const res = await handler(new Request("http://localhost/metrics"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await res.text()).toBe(text);
    expect((await handler(new Request("http://localhost/metrics", { method: "POST" }))).status).toBe(405);
    expect(await (await handler(new Request("http://localhost/metrics", { method: "HEAD" }))).text()).toBe("");
    // The exporter got the window this process closed.
    expect(exporter.collect().map((m) => [m.monitor, m.window, m.figures.drift_share])).toEqual([["stream", 0, 1]]);
    expect(exporter.text()).toBe(text);
    expect(await (await exporter.fetch(new Request("http://x/metrics"))).text()).toBe(text);
  });

  it("are sent through the webhook sender, signed", async () => {
    const received: Array<{ event: string; body: string; ok: boolean }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        received.push({
          event: String(req.headers["x-mlcycle-event"]),
          body,
          ok: verifyWebhookSignature({
            secret: "s3cret",
            body,
            timestamp: req.headers["x-mlcycle-timestamp"] as string,
            signature: req.headers["x-mlcycle-signature"] as string,
          }),
        });
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const clock = testClock(0);
      await using ws = await open({ clock });
      const hook = ws.monitors.notify({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        secret: "s3cret",
      });
      const monitor = await driftMonitor(ws);
      monitor.observe(rows(2, 100, 3), { at: 1 });
      monitor.observe(rows(3, 100, 0), { at: MINUTE + 1 });
      clock.set(2 * MINUTE);
      await monitor.check();
      await hook.flush();
      expect(received.map((r) => [r.event, r.ok])).toEqual([
        ["monitor.alert", true],
        ["monitor.resolved", true],
      ]);
      const body = JSON.parse(received[0].body);
      expect(body.payload).toMatchObject({ monitor: "stream", rule: "range", window: 0 });
      expect(hook.stats).toEqual({ delivered: 2, failed: 0, pending: 0 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("are judged only on windows with the figure and enough rows", () => {
    const rule = {
      name: "acc",
      figure: "performance.accuracy_score",
      op: "<" as const,
      threshold: 0.8,
      minRows: 30,
      windows: 1,
      severity: "warning",
    };
    expect(judgeRule(rule, { rows: 100 })).toBe("unjudged");
    expect(judgeRule(rule, { rows: 100, labelled_rows: 10, "performance.accuracy_score": 0.5 })).toBe("unjudged");
    expect(judgeRule(rule, { rows: 100, labelled_rows: 30, "performance.accuracy_score": 0.5 })).toBe("holds");
    expect(judgeRule(rule, { rows: 100, labelled_rows: 30, "performance.accuracy_score": 0.9 })).toBe("clear");
    expect([
      compareFigure(1, ">", 1),
      compareFigure(1, ">=", 1),
      compareFigure(1, "<", 1),
      compareFigure(1, "<=", 1),
    ]).toEqual([false, true, false, true]);
  });
});

describe("prometheusText", () => {
  it("labels per-column, per-metric and per-quantile figures and escapes label values", () => {
    const m: MonitorMetrics = {
      monitor: 'we"ird\\name',
      deployment: "churn",
      window: 3,
      end: 180_000,
      figures: {
        "drift.age": 0.01,
        "performance.accuracy_score": 0.9,
        "latency_ms.p99": 12.5,
        "latency_ms.mean": 3,
        error_rate: 0,
        custom_thing: Number.NaN,
      },
      openAlerts: [],
    };
    const text = prometheusText([m]);
    const base = 'monitor="we\\"ird\\\\name",deployment="churn"';
    expect(text).toContain(`mlcycle_monitor_column_drift{${base},column="age"} 0.01`);
    expect(text).toContain(`mlcycle_monitor_performance{${base},metric="accuracy_score"} 0.9`);
    expect(text).toContain(`mlcycle_monitor_latency_ms{${base},quantile="0.99"} 12.5`);
    expect(text).toContain(`mlcycle_monitor_latency_ms_mean{${base}} 3`);
    expect(text).toContain(`mlcycle_monitor_window_end_seconds{${base}} 180`);
    expect(text).toContain(`mlcycle_monitor_custom_thing{${base}} NaN`);
    expect(text.match(/# TYPE mlcycle_monitor_latency_ms gauge/g)).toHaveLength(1);
    expect(prometheusText([])).toBe("");
  });
});
