import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import type { AlertRecord, MonitorModelRef, MonitorStore, WindowResultRecord } from "../stores/monitor-store.js";
import type { MonitorEvents } from "./monitor-events.js";
import type { AlertOp, MonitorConfig, RuleConfig } from "./monitor-settings.js";

/** A rule's verdict on one window: it holds, it does not, or the window cannot be judged (figure absent, too few rows). */
export type RuleVerdict = "holds" | "clear" | "unjudged";

/** Compares a figure with a threshold. */
export function compareFigure(value: number, op: AlertOp, threshold: number): boolean {
  switch (op) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    default:
      return value <= threshold;
  }
}

/**
 * A rule's verdict on a window's figures: unjudged when the figure is absent or the window has fewer
 * than `minRows` rows (labelled rows for `performance.*` figures).
 */
export function judgeRule(rule: RuleConfig, figures: Readonly<Record<string, number>>): RuleVerdict {
  const value = figures[rule.figure];
  if (value === undefined) return "unjudged";
  const size = rule.figure.startsWith("performance.") ? (figures.labelled_rows ?? 0) : (figures.rows ?? 0);
  if (size < rule.minRows) return "unjudged";
  return compareFigure(value, rule.op, rule.threshold) ? "holds" : "clear";
}

function format(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/** What {@link applyRules} works with. */
export interface RuleContext {
  store: MonitorStore;
  events: EventBus<MonitorEvents>;
  clock: Clock;
  monitor: string;
  config: MonitorConfig;
  deployment?: string;
}

/**
 * Applies a monitor's rules to a window just closed (by this process: only the closer judges a
 * window). A rule that holds opens an alert once it has held for its `windows` consecutive judged
 * windows — one open alert per rule, the store refusing a second — or records one more breach of
 * the open one; a rule that no longer holds resolves its open alert. Emits `monitor.alert` and
 * `monitor.resolved`; returns the alerts opened, updated and resolved.
 */
export async function applyRules(ctx: RuleContext, result: WindowResultRecord): Promise<AlertRecord[]> {
  const changed: AlertRecord[] = [];
  for (const rule of ctx.config.rules) {
    const verdict = judgeRule(rule, result.figures);
    if (verdict === "unjudged") continue;
    const [open] = await ctx.store.listAlerts({ monitor: ctx.monitor, rule: rule.name, status: "open", limit: 1 });
    const value = result.figures[rule.figure];
    const now = Math.floor(ctx.clock.now());
    if (verdict === "clear") {
      if (!open) continue;
      const resolved = await ctx.store.resolveAlert(open.id, {
        resolvedAt: now,
        resolvedWindow: result.window,
        message: `${open.message}; resolved in window ${result.window}: ${rule.figure} = ${format(value)}`,
      });
      changed.push(resolved);
      ctx.events.emit("monitor.resolved", {
        id: resolved.id,
        monitor: ctx.monitor,
        rule: rule.name,
        window: result.window,
        value,
        openedAt: resolved.openedAt,
        ...(ctx.deployment ? { deployment: ctx.deployment } : {}),
        ...(result.model ? { model: result.model as MonitorModelRef } : {}),
        at: now,
      });
      continue;
    }
    if (open) {
      changed.push(
        await ctx.store.updateAlert(open.id, {
          value,
          lastWindow: result.window,
          breaches: open.breaches + 1,
          updatedAt: now,
        }),
      );
      continue;
    }
    if (rule.windows > 1) {
      const before = await ctx.store.listWindowResults(ctx.monitor, {
        to: result.window,
        order: "desc",
        limit: rule.windows - 1,
      });
      if (before.length < rule.windows - 1 || before.some((r) => judgeRule(rule, r.figures) !== "holds")) continue;
    }
    const drifted = (
      result.report.drift as { columns?: Array<{ column: string; drifted: boolean }> } | undefined
    )?.columns
      ?.filter((c) => c.drifted)
      .map((c) => c.column);
    const message =
      `${ctx.monitor}: ${rule.figure} = ${format(value)} ${rule.op} ${format(rule.threshold)}` +
      (rule.windows > 1 ? ` for ${rule.windows} windows` : "") +
      ` (rule ${rule.name}, window ${result.window})` +
      (drifted?.length ? `; drifted: ${drifted.join(", ")}` : "");
    const { alert, opened } = await ctx.store.openAlert({
      id: newId(now),
      monitor: ctx.monitor,
      rule: rule.name,
      severity: rule.severity,
      figure: rule.figure,
      value,
      op: rule.op,
      threshold: rule.threshold,
      window: result.window,
      message,
      details: {
        start: result.start,
        end: result.end,
        rows: result.rows,
        ...(ctx.deployment ? { deployment: ctx.deployment } : {}),
        ...(result.model ? { model: result.model } : {}),
        ...(result.reference !== undefined ? { reference: result.reference } : {}),
        ...(drifted?.length ? { drifted } : {}),
      },
      openedAt: now,
    });
    if (!opened) continue;
    changed.push(alert);
    ctx.events.emit("monitor.alert", {
      id: alert.id,
      monitor: ctx.monitor,
      rule: rule.name,
      severity: rule.severity,
      figure: rule.figure,
      value,
      op: rule.op,
      threshold: rule.threshold,
      window: result.window,
      start: result.start,
      end: result.end,
      message,
      ...(ctx.deployment ? { deployment: ctx.deployment } : {}),
      ...(result.model ? { model: result.model } : {}),
      at: now,
    });
  }
  return changed;
}
