// How `mlcycle pipelines …` shows pipelines, runs, graphs and cache explanations to a person.
import type { CacheExplanation, GraphNode, PipelineGraph, PipelineRunRecord, StepRunRecord } from "../index.js";
import { formatElapsed, formatTime, plural } from "./cli-format.js";
import { renderTable } from "./cli-table.js";
import type { Colors } from "./cli-terminal.js";
import { statusText } from "./runs-format.js";
import { renderTree } from "./tree-format.js";

/** A run and its step records, as `ws.pipelines.get` gives them. */
export interface PipelineRunDetail {
  run: PipelineRunRecord;
  steps: StepRunRecord[];
}

const STEP_STATES = ["succeeded", "cached", "failed", "timed_out", "cancelled", "skipped", "running", "queued"];

/** `2 succeeded, 1 cached`: how many steps ended in each state, in a fixed order of states. */
export function stepCounts(steps: readonly StepRunRecord[]): string {
  const counts = new Map<string, number>();
  for (const s of steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const rank = (status: string) => (STEP_STATES.includes(status) ? STEP_STATES.indexOf(status) : STEP_STATES.length);
  return (
    [...counts]
      .sort(([a], [b]) => rank(a) - rank(b))
      .map(([status, n]) => `${n} ${status}`)
      .join(", ") || "no steps"
  );
}

/** `mlcycle pipelines runs`: one line per run. */
export function pipelineRunsTable(runs: readonly PipelineRunDetail[], color: Colors): string[] {
  return renderTable(
    [
      { heading: "ID" },
      { heading: "PIPELINE" },
      { heading: "VERSION" },
      { heading: "STATUS" },
      { heading: "TRIGGER" },
      { heading: "STARTED" },
      { heading: "DURATION", right: true },
      { heading: "STEPS" },
    ],
    runs.map(({ run, steps }) => [
      run.id,
      run.pipeline,
      shortVersion(run.version),
      statusText(run.status, color),
      run.trigger ?? "manual",
      formatTime(run.createdAt),
      formatElapsed(run.createdAt, run.finishedAt),
      stepCounts(steps),
    ]),
    color,
  );
}

/** A version as people read it: a declared one whole, a graph hash cut to 12 characters. */
export function shortVersion(version: string): string {
  return /^[0-9a-f]{16,}$/.test(version) ? version.slice(0, 12) : version;
}

/** What a step record says beside its status: attempts, time taken, items, why. */
function stepFacts(s: StepRunRecord, color: Colors): string {
  const facts: string[] = [];
  if (s.attempts > 1) facts.push(`${s.attempts} attempts`);
  const took = formatElapsed(s.startedAt, s.finishedAt);
  if (took !== "-") facts.push(took);
  if (s.items !== undefined) facts.push(plural(s.items, "item"));
  if (s.error) facts.push(color.red(s.error.message.replace(/\s*\n\s*/g, " ")));
  else if (s.reason) facts.push(s.reason);
  return facts.join(", ");
}

/** `mlcycle pipelines show`: the run, its params and one line per step. */
export function pipelineRunLines(d: PipelineRunDetail, order: readonly string[], color: Colors): string[] {
  const { run } = d;
  const steps = sortSteps(d.steps, order);
  const lines = [
    `${color.bold(`pipeline run ${run.id}`)}: ${run.pipeline}@${shortVersion(run.version)} ${statusText(run.status, color)}`,
    `  started   ${formatTime(run.createdAt)}${run.trigger ? ` (${run.trigger})` : ""}`,
    `  ended     ${run.finishedAt !== undefined ? `${formatTime(run.finishedAt)} (after ${formatElapsed(run.createdAt, run.finishedAt)})` : "-"}`,
    `  params    ${JSON.stringify(run.params ?? null)}`,
  ];
  if (run.trackingRunId) lines.push(`  tracking  run ${run.trackingRunId}`);
  if (run.error) lines.push(`  error     ${color.red(run.error.message.replace(/\s*\n\s*/g, " "))}`);
  lines.push("", "steps");
  if (steps.length === 0) lines.push("  none started");
  else
    lines.push(
      ...renderTable(
        [
          { heading: "STEP" },
          { heading: "STATUS" },
          { heading: "ATTEMPTS", right: true },
          { heading: "STARTED" },
          { heading: "DURATION", right: true },
          { heading: "NOTE" },
        ],
        steps.map((s) => [
          s.step,
          statusText(s.status, color),
          String(s.attempts),
          formatTime(s.startedAt),
          formatElapsed(s.startedAt, s.finishedAt),
          s.error
            ? color.red(s.error.message.replace(/\s*\n\s*/g, " "))
            : (s.reason ?? (s.cacheHit ? "cache hit" : "")),
        ]),
        color,
      ).map((l) => `  ${l}`),
    );
  return lines;
}

/** Step records in the order of the definition's nodes when known, else by start time (then end time). */
export function sortSteps(steps: readonly StepRunRecord[], order: readonly string[]): StepRunRecord[] {
  const rank = new Map(order.map((n, i) => [n, i]));
  return [...steps].sort(
    (a, b) =>
      (rank.get(a.step) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.step) ?? Number.MAX_SAFE_INTEGER) ||
      (a.startedAt ?? Number.MAX_SAFE_INTEGER) - (b.startedAt ?? Number.MAX_SAFE_INTEGER) ||
      (a.finishedAt ?? Number.MAX_SAFE_INTEGER) - (b.finishedAt ?? Number.MAX_SAFE_INTEGER) ||
      (a.step < b.step ? -1 : 1),
  );
}

/** What feeds a node, as `load.rows, params.lr`. */
function feeds(g: Omit<PipelineGraph, "toString">, n: GraphNode): string {
  const data = g.edges
    .filter((e) => e.to === n.name && e.kind !== "control")
    .map((e) => [e.from, e.fromPath].filter(Boolean).join("."));
  return [...new Set(data)].join(", ");
}

/**
 * `mlcycle pipelines graph`: the DAG as a tree from the steps that depend on nothing, each step with
 * its step definition, what feeds it, and — for a run — its status, time and note.
 */
export function graphLines(
  g: Omit<PipelineGraph, "toString">,
  run: PipelineRunDetail | undefined,
  color: Colors,
): string[] {
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const records = new Map((run?.steps ?? []).map((s) => [s.step, s]));
  const children = new Map<string, string[]>(g.nodes.map((n) => [n.name, []]));
  for (const n of g.nodes) for (const d of n.dependsOn) children.get(d)?.push(n.name);
  const roots = g.nodes.filter((n) => n.dependsOn.every((d) => !byName.has(d))).map((n) => n.name);
  const label = (name: string) => {
    const n = byName.get(name) as GraphNode;
    const parts = [color.bold(n.name), color.dim(`[${n.step}@${shortVersion(n.version)}]`)];
    if (n.kind === "map") parts.push(`map over ${n.over}${n.concurrency ? ` ×${n.concurrency}` : ""}`);
    const from = feeds(g, n);
    if (from) parts.push(`← ${from}`);
    const after = g.edges.filter((e) => e.to === n.name && e.kind === "control").map((e) => e.from);
    if (after.length) parts.push(`after ${[...new Set(after)].join(", ")}`);
    if (n.conditional) parts.push(color.dim("(conditional)"));
    if (!run) return parts.join(" ");
    const r = records.get(name);
    const facts = r ? stepFacts(r, color) : "";
    return `${parts.join(" ")}: ${r ? statusText(r.status, color) : color.dim("not started")}${facts ? ` (${facts})` : ""}`;
  };
  const head = run
    ? `pipeline ${g.pipeline}@${shortVersion(g.version)}, run ${run.run.id}: ${statusText(run.run.status, color)}` +
      (run.run.finishedAt !== undefined ? ` after ${formatElapsed(run.run.createdAt, run.run.finishedAt)}` : "")
    : `pipeline ${g.pipeline}@${shortVersion(g.version)} (${plural(g.nodes.length, "step")})`;
  return [head, ...renderTree(roots, { label, children: (id) => children.get(id) ?? [] }, color)];
}

/** The steps of a run whose definition is not known: one line each, in the order they started. */
export function stepsOnlyLines(d: PipelineRunDetail, color: Colors): string[] {
  return [
    `pipeline ${d.run.pipeline}@${shortVersion(d.run.version)}, run ${d.run.id}: ${statusText(d.run.status, color)}`,
    ...sortSteps(d.steps, []).map((s) => {
      const facts = stepFacts(s, color);
      return `  ${color.bold(s.step)}: ${statusText(s.status, color)}${facts ? ` (${facts})` : ""}`;
    }),
  ];
}

const short = (v: unknown) => {
  const text = typeof v === "string" ? v : JSON.stringify(v);
  if (text !== undefined && /^[0-9a-f]{32,}$/.test(text)) return `${text.slice(0, 12)}…`;
  return text === undefined ? "-" : text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

/** `mlcycle pipelines explain-cache`: per step, hit or miss and why, with what differs. */
export function explanationLines(explanations: readonly CacheExplanation[], color: Colors): string[] {
  const lines: string[] = [];
  for (const e of explanations) {
    if (lines.length) lines.push("");
    const verdict = e.hit ? color.green("hit") : e.key ? color.yellow("miss") : color.dim("no key");
    lines.push(`${color.bold(e.step)} (${statusText(e.status, color)}): ${verdict}`);
    lines.push(`  ${e.reason}`);
    if (e.key) lines.push(`  key       ${e.key.slice(0, 16)}…`);
    if (e.previous)
      lines.push(
        `  ${(e.hit ? "reused" : "closest").padEnd(10)}run ${e.previous.runId}, stored ${formatTime(e.previous.createdAt)}` +
          (e.previous.expiresAt !== undefined ? `, expires ${formatTime(e.previous.expiresAt)}` : ""),
      );
    if (e.differences.length)
      lines.push(
        ...renderTable(
          [{ heading: "COMPONENT" }, { heading: "BEFORE" }, { heading: "NOW" }],
          e.differences.map((d) => [d.component, short(d.previous), short(d.current)]),
          color,
        ).map((l) => `  ${l}`),
      );
  }
  return lines;
}
