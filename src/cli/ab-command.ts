import { type Command, InvalidArgumentError, Option } from "commander";
import { formatAnalysis, type OnlineExperimentRecord, type Workspace } from "../index.js";
import type { CliOutput } from "./cli-errors.js";
import { openCliWorkspace, workspaceDir } from "./cli-workspace.js";
import { renderTable } from "./cli-table.js";

/** Options every `mlcycle ab …` command takes. */
interface ReadOptions {
  workspace?: string;
  json?: boolean;
}

interface AnalyzeCommandOptions extends ReadOptions {
  metric: string;
  type: "mean" | "proportion";
  control?: string;
  alpha?: number;
  sequential?: boolean;
  tuning?: number;
  inverse?: boolean;
}

/** Runs `use` on the workspace of `--workspace` (which must exist), closing it after. */
async function withWorkspace<T>(options: ReadOptions, use: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await openCliWorkspace(workspaceDir(options.workspace), { mustExist: true });
  try {
    return await use(ws);
  } finally {
    await ws.close();
  }
}

const workspaceOption = () =>
  new Option("-w, --workspace <dir>", "workspace folder (default: $MLCYCLE_WORKSPACE, else ./.mlcycle)");

function weights(e: OnlineExperimentRecord): string {
  const total = e.variants.reduce((s, v) => s + v.weight, 0);
  return e.variants
    .map((v) => `${v.name} ${total > 0 ? `${((v.weight / total) * 100).toFixed(0)}%` : "0%"}`)
    .join(", ");
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1)
    throw new InvalidArgumentError("must be a number strictly between 0 and 1");
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

/**
 * Adds `mlcycle ab list`, `mlcycle ab show NAME` and `mlcycle ab analyze NAME` (online experiments:
 * tracking experiments keep the name `experiments`).
 */
export function addAbCommands(program: Command, io: CliOutput): void {
  const ab = program
    .command("ab")
    .description("online experiments of a workspace: splits, canaries, shadows, bandits and their analysis");

  ab.command("list")
    .description("the online experiments, oldest first")
    .option("--deployment <name>", "only those routing this deployment")
    .addOption(
      new Option("--status <status>", "only those in this state").choices([
        "running",
        "stopped",
        "completed",
        "rolled_back",
      ]),
    )
    .addOption(workspaceOption())
    .option("--json", "print a JSON array")
    .action(async (options: ReadOptions & { deployment?: string; status?: OnlineExperimentRecord["status"] }) => {
      const list = await withWorkspace(options, (ws) =>
        ws.online.list({
          ...(options.deployment !== undefined ? { deployment: options.deployment } : {}),
          ...(options.status !== undefined ? { status: options.status } : {}),
        }),
      );
      if (options.json) return io.out(JSON.stringify(list));
      if (list.length === 0) return io.out("no online experiments");
      for (const line of renderTable(
        [
          { heading: "NAME" },
          { heading: "KIND" },
          { heading: "STATUS" },
          { heading: "DEPLOYMENT" },
          { heading: "UPDATED" },
          { heading: "TRAFFIC" },
        ],
        list.map((e) => [e.name, e.kind, e.status, e.deployment, time(e.updatedAt), weights(e)]),
      ))
        io.out(line);
    });

  ab.command("show")
    .description("an online experiment: its variants, settings, progress and audit trail")
    .argument("<NAME>", "the experiment")
    .addOption(workspaceOption())
    .option("--json", "print { experiment, history } as JSON")
    .action(async (name: string, options: ReadOptions) => {
      const { experiment, history } = await withWorkspace(options, async (ws) => ({
        experiment: await ws.online.describe(name),
        history: await ws.online.history(name),
      }));
      if (options.json) return io.out(JSON.stringify({ experiment, history }));
      io.out(
        `${experiment.name}: ${experiment.kind} on ${experiment.deployment}, ${experiment.status} (revision ${experiment.revision})`,
      );
      io.out("");
      for (const line of renderTable(
        [{ heading: "VARIANT" }, { heading: "MODEL" }, { heading: "WEIGHT", right: true }],
        experiment.variants.map((v) => [v.name, v.ref, String(v.weight)]),
      ))
        io.out(line);
      if (Object.keys(experiment.state).length) {
        io.out("");
        io.out(`state: ${JSON.stringify(experiment.state)}`);
      }
      io.out("");
      if (history.length === 0) return io.out("no audit records");
      for (const line of renderTable(
        [
          { heading: "#", right: true },
          { heading: "AT" },
          { heading: "ACTION" },
          { heading: "ACTOR" },
          { heading: "REASON" },
        ],
        history.map((h) => [String(h.seq), time(h.at), h.action, h.actor, h.reason]),
      ))
        io.out(line);
    });

  ab.command("analyze")
    .description("compare each variant with the control on a metric (Welch or two-proportion z-test, SRM, Bayesian)")
    .argument("<NAME>", "the experiment")
    .option("-m, --metric <metric>", "the metric (outcome, errors, latency_ms, or one given to record())", "outcome")
    .addOption(
      new Option("-t, --type <type>", "mean: Welch's t-test; proportion: two-proportion z-test (0/1 values)")
        .choices(["mean", "proportion"])
        .default("mean"),
    )
    .option("--control <variant>", "the variant the others are compared with (default: the first)")
    .option("--alpha <alpha>", "significance level (default 0.05)", probability)
    .option("--sequential", "add always-valid confidence sequences (safe to look at any time)")
    .option("--tuning <n>", "the sequences' tuning sample size (default 5000)", positiveInt)
    .option("--inverse", "lower is better (latency, errors, churn)")
    .addOption(workspaceOption())
    .option("--json", "print the analysis as JSON")
    .action(async (name: string, options: AnalyzeCommandOptions) => {
      const analysis = await withWorkspace(options, (ws) =>
        ws.online.analyze(name, {
          metric: options.metric,
          type: options.type,
          ...(options.control !== undefined ? { control: options.control } : {}),
          ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
          ...(options.sequential || options.tuning !== undefined
            ? { sequential: options.tuning !== undefined ? { tuning: options.tuning } : true }
            : {}),
          ...(options.inverse ? { inverse: true } : {}),
        }),
      );
      if (options.json)
        return io.out(JSON.stringify(analysis, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
      for (const line of formatAnalysis(analysis).split("\n")) io.out(line);
    });
}
