import { describe, expectTypeOf, it } from "vitest";
import type {
  AlertRecord,
  Monitor,
  MonitorAlertEvent,
  MonitorReference,
  MonitorResolvedEvent,
  MonitorWindowClosedEvent,
  WindowReport,
  WindowResultRecord,
  Workspace,
} from "../../src/index.js";
import { type DriftReport, driftReport } from "../../src/index.js";

describe("ws.monitors types", () => {
  it("types monitors, their reports and their stored records", async () => {
    const ws = {} as Workspace;
    const m = await ws.monitors.open("churn", {
      deployment: "churn",
      features: ["x", { name: "plan", kind: "categorical" }],
    });
    expectTypeOf(m).toEqualTypeOf<Monitor>();
    expectTypeOf(await m.check()).toEqualTypeOf<WindowReport[]>();
    expectTypeOf(await m.windows()).toEqualTypeOf<WindowResultRecord[]>();
    expectTypeOf(await m.alerts({ status: "open" })).toEqualTypeOf<AlertRecord[]>();
    expectTypeOf(await m.setReference({ rows: [{ x: 1 }] })).toEqualTypeOf<MonitorReference>();
    // @ts-expect-error: a window is by time or by count
    await ws.monitors.open("bad", { features: ["x"], window: { minutes: 5 } });
    // @ts-expect-error: an unknown drift method
    await ws.monitors.open("bad", { features: [{ name: "x", method: "t-test" }] });
    // @ts-expect-error: a reference source is rows, a training set, statistics or a log range
    await m.setReference({ csv: "a,b" });
  });

  it("types monitor events on ws.events", () => {
    const ws = {} as Workspace;
    ws.events.on("monitor.alert", (e) => expectTypeOf(e).toEqualTypeOf<MonitorAlertEvent>());
    ws.events.on("monitor.resolved", (e) => expectTypeOf(e).toEqualTypeOf<MonitorResolvedEvent>());
    ws.events.on("monitor.window.closed", (e) => expectTypeOf(e.figures).toEqualTypeOf<Record<string, number>>());
    expectTypeOf<MonitorWindowClosedEvent["window"]>().toEqualTypeOf<number>();
  });

  it("types drift reports: columns or rows in, a report out", async () => {
    expectTypeOf(
      await driftReport({ a: Float64Array.of(1), b: ["x"] }, [{ a: 1, b: "x" }]),
    ).toEqualTypeOf<DriftReport>();
    await driftReport({ a: [1, null] }, { a: [2] }, { columns: { a: { kind: "numeric", method: "ks" } }, workers: 0 });
    // @ts-expect-error: a column's kind is numeric or categorical
    await driftReport({ a: [1] }, { a: [1] }, { columns: { a: { kind: "text" } } });
    // @ts-expect-error: a data set is columns or rows, not one value
    await driftReport(42, { a: [1] });
  });
});
