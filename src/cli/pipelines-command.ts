import { type Command, Option } from "commander";
import {
  type AnyPipeline,
  type CacheExplanation,
  isMlcycleError,
  MlcycleError,
  type PipelineRunRecord,
  type Workspace,
} from "../index.js";
import type { CliOutput } from "./cli-errors.js";
import { formatElapsed, formatTime, printJson, printLines } from "./cli-format.js";
import { jsonOption, limitOption, type ReadOptions, workspaceOption } from "./cli-options.js";
import { renderTable } from "./cli-table.js";
import { plainTerminal } from "./cli-terminal.js";
import { withWorkspace } from "./cli-workspace.js";
import {
  explanationLines,
  graphLines,
  type PipelineRunDetail,
  pipelineRunLines,
  pipelineRunsTable,
  shortVersion,
  sortSteps,
  stepsOnlyLines,
} from "./pipelines-format.js";
import { statusText } from "./runs-format.js";

interface ModuleOptions extends ReadOptions {
  module?: string;
}

const STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;

const moduleOption = () =>
  new Option(
    "--module <path>",
    "a module whose default (or register) export receives the workspace and registers pipeline definitions (ws.pipelines.register(p))",
  );

/** The definition a run was made with, when this workspace knows it (from --module). */
function definitionOf(ws: Workspace, run: PipelineRunRecord): AnyPipeline | undefined {
  return ws.pipelines.definitions().find((p) => p.name === run.pipeline && p.version === run.version);
}

/** A run by id, or undefined when `ref` is no run id (then it may be a pipeline name). */
async function findRun(ws: Workspace, ref: string): Promise<PipelineRunDetail | undefined> {
  try {
    return await ws.pipelines.get(ref);
  } catch (error) {
    if (isMlcycleError(error, "NOT_FOUND") || isMlcycleError(error, "VALIDATION")) return undefined;
    throw error;
  }
}

/** A known definition by `name` or `name@version` (the last one registered of that name). */
function definitionNamed(ws: Workspace, ref: string, module: string | undefined): AnyPipeline {
  const at = ref.lastIndexOf("@");
  const [name, version] = at > 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
  const known = ws.pipelines.definitions();
  const found = known.filter(
    (p) => p.name === name && (version === undefined || p.version === version || shortVersion(p.version) === version),
  );
  if (found.length) return found[found.length - 1];
  throw new MlcycleError(
    "NOT_FOUND",
    `'${ref}' is neither a pipeline run id nor a known pipeline: ` +
      (module === undefined
        ? "pass --module FILE whose default export registers the pipeline (ws.pipelines.register(p))"
        : known.length
          ? `${module} registers ${known.map((p) => `${p.name}@${shortVersion(p.version)}`).join(", ")}`
          : `${module} registers no pipeline`),
    { details: { kind: "pipeline", key: ref } },
  );
}

/** What `pipelines list` shows per pipeline version. */
export interface PipelineSummary {
  pipeline: string;
  version: string;
  /** Steps of the definition, when it is known (from --module). */
  steps?: string[];
  runs: number;
  succeeded: number;
  failed: number;
  lastRun?: { id: string; status: PipelineRunRecord["status"]; createdAt: number };
}

function summarize(runs: readonly PipelineRunRecord[], definitions: readonly AnyPipeline[]): PipelineSummary[] {
  const byKey = new Map<string, PipelineSummary>();
  const entry = (pipeline: string, version: string) => {
    const key = `${pipeline}\u0000${version}`;
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = { pipeline, version, runs: 0, succeeded: 0, failed: 0 }));
    return s;
  };
  for (const p of definitions) entry(p.name, p.version).steps = p.nodes.map((n) => n.name);
  // Newest first: the first run seen of a version is its last one.
  for (const r of runs) {
    const s = entry(r.pipeline, r.version);
    s.runs++;
    if (r.status === "succeeded") s.succeeded++;
    if (r.status === "failed") s.failed++;
    s.lastRun ??= { id: r.id, status: r.status, createdAt: r.createdAt };
  }
  return [...byKey.values()].sort(
    (a, b) =>
      (a.pipeline < b.pipeline ? -1 : a.pipeline > b.pipeline ? 1 : 0) ||
      (b.lastRun?.createdAt ?? 0) - (a.lastRun?.createdAt ?? 0),
  );
}

/** Adds `mlcycle pipelines list | runs | show | graph | resume | explain-cache`. */
export function addPipelinesCommands(program: Command, io: CliOutput): void {
  const color = (io.terminal ?? plainTerminal).color;
  const pipelines = program
    .command("pipelines")
    .description("pipeline runs and their steps, graphs, cache decisions; resume a run that did not complete");

  pipelines
    .command("list")
    .description("the pipelines of the workspace (each version that ran, and those --module registers)")
    .addOption(moduleOption())
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of { pipeline, version, steps, runs, succeeded, failed, lastRun }"))
    .action(async (options: ModuleOptions) => {
      const list = await withWorkspace(
        options.workspace,
        async (ws) => summarize(await ws.pipelines.list({ limit: 10_000 }), ws.pipelines.definitions()),
        options.module !== undefined ? { module: options.module } : {},
      );
      if (options.json) return printJson(io, list);
      if (list.length === 0) return io.out("no pipelines have run in this workspace");
      printLines(
        io,
        renderTable(
          [
            { heading: "PIPELINE" },
            { heading: "VERSION" },
            { heading: "STEPS", right: true },
            { heading: "RUNS", right: true },
            { heading: "SUCCEEDED", right: true },
            { heading: "FAILED", right: true },
            { heading: "LAST RUN" },
            { heading: "LAST STATUS" },
          ],
          list.map((s) => [
            s.pipeline,
            shortVersion(s.version),
            s.steps ? String(s.steps.length) : "-",
            String(s.runs),
            String(s.succeeded),
            String(s.failed),
            formatTime(s.lastRun?.createdAt),
            s.lastRun ? statusText(s.lastRun.status, color) : "-",
          ]),
          color,
        ),
      );
    });

  pipelines
    .command("runs")
    .description("pipeline runs, newest first, with how their steps ended")
    .option("-p, --pipeline <name>", "only runs of this pipeline")
    .addOption(new Option("--status <status>", "only runs in this state").choices([...STATUSES]))
    .addOption(limitOption("runs", 20, 10_000))
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of { run, steps }"))
    .action(async (options: ReadOptions & { pipeline?: string; status?: (typeof STATUSES)[number]; limit: number }) => {
      const runs = await withWorkspace(options.workspace, async (ws) => {
        const records = await ws.pipelines.list({
          ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
          ...(options.status !== undefined ? { status: options.status } : {}),
          limit: options.limit,
        });
        const out: PipelineRunDetail[] = [];
        for (const r of records) out.push({ run: r, steps: (await ws.pipelines.get(r.id)).steps });
        return out;
      });
      if (options.json) return printJson(io, runs);
      if (runs.length === 0) return io.out("no pipeline runs");
      printLines(io, pipelineRunsTable(runs, color));
    });

  pipelines
    .command("show")
    .description("a pipeline run: its params, status and each step's status, attempts, time and note")
    .argument("<RUN_ID>", "the pipeline run")
    .option("--logs", "also print what the steps logged")
    .addOption(moduleOption())
    .addOption(workspaceOption())
    .addOption(jsonOption("{ run, steps }"))
    .action(async (runId: string, options: ModuleOptions & { logs?: boolean }) => {
      const { detail, order } = await withWorkspace(
        options.workspace,
        async (ws) => {
          const detail = await ws.pipelines.get(runId);
          return { detail, order: definitionOf(ws, detail.run)?.nodes.map((n) => n.name) ?? [] };
        },
        options.module !== undefined ? { module: options.module } : {},
      );
      if (options.json) return printJson(io, detail);
      printLines(io, pipelineRunLines(detail, order, color));
      if (options.logs) {
        const logs = sortSteps(detail.steps, order).flatMap((s) =>
          (s.logs ?? []).map((l) => [
            formatTime(l.at),
            s.step,
            l.level === "error" ? color.red(l.level) : l.level === "warn" ? color.yellow(l.level) : l.level,
            l.message + (l.data !== undefined ? ` ${JSON.stringify(l.data)}` : ""),
          ]),
        );
        io.out("");
        io.out("logs");
        if (logs.length === 0) io.out("  none");
        else
          printLines(
            io,
            renderTable(
              [{ heading: "AT" }, { heading: "STEP" }, { heading: "LEVEL" }, { heading: "MESSAGE" }],
              logs,
              color,
            ).map((l) => `  ${l}`),
          );
      }
    });

  pipelines
    .command("graph")
    .description("a pipeline's graph as text: each step with what feeds it; for a run, with each step's status")
    .argument("<PIPELINE_OR_RUN>", "a pipeline run id, or a pipeline name (name@version) that --module registers")
    .addOption(moduleOption())
    .addOption(workspaceOption())
    .addOption(jsonOption("{ pipeline, version, nodes, edges, run?, steps? }"))
    .action(async (ref: string, options: ModuleOptions) => {
      const { graph, run } = await withWorkspace(
        options.workspace,
        async (ws) => {
          const run = await findRun(ws, ref);
          const definition = run ? definitionOf(ws, run.run) : definitionNamed(ws, ref, options.module);
          const g = definition?.graph();
          return {
            graph: g ? { pipeline: g.pipeline, version: g.version, nodes: g.nodes, edges: g.edges } : undefined,
            run,
          };
        },
        options.module !== undefined ? { module: options.module } : {},
      );
      if (options.json)
        return printJson(io, {
          ...(graph ?? { pipeline: run?.run.pipeline, version: run?.run.version, nodes: null, edges: null }),
          ...(run ? { run: run.run, steps: run.steps } : {}),
        });
      if (graph) return printLines(io, graphLines(graph, run, color));
      const r = run as PipelineRunDetail;
      printLines(io, stepsOnlyLines(r, color));
      io.out(
        color.dim(
          `(the edges need the definition: pass --module FILE that registers ${r.run.pipeline}@${shortVersion(r.run.version)})`,
        ),
      );
    });

  pipelines
    .command("resume")
    .description("finish a run that did not complete: completed steps are kept, the rest run again (Ctrl-C cancels)")
    .argument("<RUN_ID>", "the pipeline run")
    .addOption(
      new Option(
        "--module <path>",
        "a module whose default (or register) export registers the run's pipeline definition (ws.pipelines.register(p))",
      ).makeOptionMandatory(),
    )
    .addOption(workspaceOption())
    .addOption(jsonOption("the run's outcome { id, pipeline, version, status, steps, durationMs }"))
    .action(async (runId: string, options: ModuleOptions) => {
      const controller = new AbortController();
      const cancel = () => controller.abort();
      process.once("SIGINT", cancel);
      process.once("SIGTERM", cancel);
      try {
        const { result, order } = await withWorkspace(
          options.workspace,
          async (ws) => {
            const { run } = await ws.pipelines.get(runId);
            const definition = definitionOf(ws, run);
            if (!definition)
              throw new MlcycleError(
                "NOT_FOUND",
                `${options.module} does not register ${run.pipeline}@${shortVersion(run.version)}, the definition run ${runId} was made with` +
                  (ws.pipelines.definitions().length
                    ? ` (it registers ${ws.pipelines
                        .definitions()
                        .map((p) => `${p.name}@${shortVersion(p.version)}`)
                        .join(", ")})`
                    : ""),
                { details: { kind: "pipeline definition", key: `${run.pipeline}@${run.version}` } },
              );
            const result = await ws.pipelines.resume(definition, runId, { signal: controller.signal });
            return { result, order: definition.nodes.map((n) => n.name) };
          },
          { module: options.module },
        );
        const steps = sortSteps(Object.values(result.steps), order);
        if (options.json) {
          const { outputs: _outputs, ...rest } = result;
          printJson(io, { ...rest, steps });
        } else {
          io.out(
            `pipeline run ${result.id} (${result.pipeline}@${shortVersion(result.version)}): ${statusText(result.status, color)} after ${formatElapsed(0, result.durationMs)}`,
          );
          printLines(
            io,
            renderTable(
              [{ heading: "STEP" }, { heading: "STATUS" }, { heading: "ATTEMPTS", right: true }, { heading: "NOTE" }],
              steps.map((s) => [
                s.step,
                statusText(s.status, color),
                String(s.attempts),
                s.error ? s.error.message.replace(/\s*\n\s*/g, " ") : (s.reason ?? ""),
              ]),
              color,
            ).map((l) => `  ${l}`),
          );
        }
        if (result.status !== "succeeded")
          // Printed above for people; the exit code (1) and this line are for scripts.
          throw new Error(
            `pipeline run ${result.id} ${result.status}${result.error ? `: ${result.error.message}` : ""}`,
          );
      } finally {
        process.off("SIGINT", cancel);
        process.off("SIGTERM", cancel);
      }
    });

  pipelines
    .command("explain-cache")
    .description("why each step of a run hit or missed the step cache, and what differs from the closest entry")
    .argument("<RUN_ID>", "the pipeline run")
    .argument("[STEP...]", "only these steps (default: every step of the run)")
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of the explanations"))
    .action(async (runId: string, steps: string[], options: ReadOptions) => {
      const explanations = await withWorkspace(options.workspace, async (ws) => {
        const detail = await ws.pipelines.get(runId);
        const ordered = sortSteps(detail.steps, []).map((s) => s.step);
        const names = steps.length ? steps : ordered;
        const known = new Set(ordered);
        for (const s of names)
          if (!known.has(s))
            throw new MlcycleError(
              "NOT_FOUND",
              `run ${runId} has no step '${s}': its steps are ${[...known].join(", ") || "none (it started no step)"}`,
              { details: { kind: "step run", key: `${runId}/${s}` } },
            );
        const out: CacheExplanation[] = [];
        for (const s of names) out.push(await ws.pipelines.explainCache(runId, s));
        return out;
      });
      if (options.json) return printJson(io, explanations);
      if (explanations.length === 0) return io.out(`run ${runId} started no step`);
      printLines(io, explanationLines(explanations, color));
    });
}
