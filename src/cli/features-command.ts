import type { Command } from "commander";
import type {
  EntityDefinition,
  FeatureServiceDefinition,
  FeatureViewDefinition,
  MaterializationState,
  MaterializeViewResult,
  TimeInput,
} from "../index.js";
import { type CliOutput, UsageError } from "./cli-errors.js";
import { formatDuration, formatTime, printJson, printLines } from "./cli-format.js";
import { collect, intOption, jsonOption, type ReadOptions, workspaceOption } from "./cli-options.js";
import { progressBars } from "./cli-progress-bars.js";
import { renderTable } from "./cli-table.js";
import { plainTerminal } from "./cli-terminal.js";
import { withWorkspace } from "./cli-workspace.js";

/** A feature view as `mlcycle features list` reports it: its definition, offline rows and online progress. */
export interface FeatureViewSummary extends FeatureViewDefinition {
  /** Rows stored in the offline store. */
  offlineRows: number;
  /** How far the online store is complete, and a run in progress (undefined before the first materialisation). */
  materialization?: MaterializationState;
}

/** What `mlcycle features list` prints. */
export interface FeatureCatalog {
  entities: EntityDefinition[];
  featureViews: FeatureViewSummary[];
  featureServices: FeatureServiceDefinition[];
}

interface MaterializeCommandOptions extends ReadOptions {
  view?: string[];
  start?: string;
  end?: string;
  incremental?: boolean;
  chunkSize?: number;
}

/** `--start` / `--end`: epoch ms, or an ISO-8601 time the feature store parses. */
const time = (value: string): TimeInput => (/^\d+$/.test(value) ? Number(value) : value);

const list = (items: readonly string[], most = 4) =>
  items.slice(0, most).join(", ") + (items.length > most ? `, … (${items.length})` : "");

/** `mlcycle features list`: entities, feature views and feature services, as three tables. */
function catalogLines(c: FeatureCatalog, color: typeof plainTerminal.color): string[] {
  const lines: string[] = [];
  const section = (title: string, body: string[]) => {
    if (lines.length) lines.push("");
    lines.push(color.bold(title), ...(body.length ? body.map((l) => `  ${l}`) : ["  none"]));
  };
  section(
    "entities",
    c.entities.length
      ? renderTable(
          [{ heading: "NAME" }, { heading: "JOIN KEYS" }, { heading: "DESCRIPTION" }],
          c.entities.map((e) => [
            e.name,
            e.joinKeys.map((k) => `${k.name} (${k.type})`).join(", "),
            e.description ?? "",
          ]),
          color,
        )
      : [],
  );
  section(
    "feature views",
    c.featureViews.length
      ? renderTable(
          [
            { heading: "NAME" },
            { heading: "VERSION", right: true },
            { heading: "ENTITIES" },
            { heading: "FEATURES" },
            { heading: "TTL", right: true },
            { heading: "OFFLINE ROWS", right: true },
            { heading: "ONLINE UNTIL" },
          ],
          c.featureViews.map((v) => [
            v.name,
            String(v.version),
            v.entities.join(", "),
            list(v.features.map((f) => f.name)),
            v.ttlMs === 0 ? "forever" : formatDuration(v.ttlMs),
            String(v.offlineRows),
            v.materialization?.pending
              ? color.yellow(`${formatTime(v.materialization.until)} (a run is pending)`)
              : formatTime(v.materialization?.until),
          ]),
          color,
        )
      : [],
  );
  section(
    "feature services",
    c.featureServices.length
      ? renderTable(
          [{ heading: "NAME" }, { heading: "VERSION", right: true }, { heading: "FEATURES" }],
          c.featureServices.map((s) => [s.name, String(s.version), list(s.features)]),
          color,
        )
      : [],
  );
  return lines;
}

/** Adds `mlcycle features list | materialize`. */
export function addFeaturesCommands(program: Command, io: CliOutput): void {
  const color = (io.terminal ?? plainTerminal).color;
  const features = program
    .command("features")
    .description(
      "the feature store: entities, feature views, services; materialise offline values to the online store",
    );

  features
    .command("list")
    .description("entities, feature views (offline rows, how far online is complete) and feature services")
    .option("-q, --query <text>", "only definitions whose name, description, owner or tags contain this")
    .addOption(workspaceOption())
    .addOption(jsonOption("{ entities, featureViews, featureServices }"))
    .action(async (options: ReadOptions & { query?: string }) => {
      const catalog = await withWorkspace(options.workspace, async (ws): Promise<FeatureCatalog> => {
        const filter = options.query !== undefined ? { query: options.query } : undefined;
        const [entities, views, featureServices] = await Promise.all([
          ws.features.listEntities(filter),
          ws.features.listFeatureViews(filter),
          ws.features.listFeatureServices(filter),
        ]);
        const featureViews: FeatureViewSummary[] = [];
        for (const v of views) {
          const [offlineRows, materialization] = await Promise.all([
            ws.features.offline.count(v.name),
            ws.features.materializationState(v.name),
          ]);
          featureViews.push({ ...v, offlineRows, ...(materialization ? { materialization } : {}) });
        }
        return { entities, featureViews, featureServices };
      });
      if (options.json) return printJson(io, catalog);
      printLines(io, catalogLines(catalog, color));
    });

  features
    .command("materialize")
    .description(
      "copy the latest values per entity from the offline store to the online store (resumable, with a progress bar on a terminal)",
    )
    .option("-v, --view <name>", "only this feature view (repeatable; default every view)", collect)
    .option("--start <time>", "window start, exclusive: epoch ms or ISO-8601 (default: the beginning)")
    .option("--end <time>", "window end, inclusive: epoch ms or ISO-8601 (default: now)")
    .option("--incremental", "from where each view's last run ended (no --start)")
    .option(
      "--chunk-size <rows>",
      "offline rows read per chunk (default 10000)",
      intOption("--chunk-size", 1, 1_000_000),
    )
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of { view, rows, written, until, resumed }"))
    .action(async (options: MaterializeCommandOptions) => {
      if (options.incremental && options.start !== undefined)
        throw new UsageError("--incremental starts where the last run ended: it takes no --start");
      const controller = new AbortController();
      const cancel = () => controller.abort();
      process.once("SIGINT", cancel);
      process.once("SIGTERM", cancel);
      const bars = progressBars(io);
      let results: MaterializeViewResult[];
      try {
        results = await withWorkspace(options.workspace, async (ws) => {
          const views = options.view ?? (await ws.features.listFeatureViews()).map((v) => v.name);
          // The offline rows of each view: the bar's total (the window may hold fewer; the bar ends full).
          const totals = new Map<string, number>();
          if (io.terminal?.progress)
            for (const v of views) {
              await ws.features.getFeatureView(v);
              totals.set(v, await ws.features.offline.count(v));
            }
          const common = {
            ...(options.view ? { views: options.view } : {}),
            ...(options.end !== undefined ? { end: time(options.end) } : {}),
            ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
            signal: controller.signal,
            onProgress: (p: { view: string; rows: number; written: number }) =>
              bars.update(p.view, p.rows, totals.get(p.view) ?? p.rows, `${p.written} written`),
          };
          const done = options.incremental
            ? await ws.features.materializeIncremental(common)
            : await ws.features.materialize({
                ...common,
                ...(options.start !== undefined ? { start: time(options.start) } : {}),
              });
          for (const r of done) bars.update(r.view, r.rows, r.rows, `${r.written} written`);
          return done;
        });
      } finally {
        bars.stop();
        process.off("SIGINT", cancel);
        process.off("SIGTERM", cancel);
      }
      if (options.json) return printJson(io, results);
      if (results.length === 0) return io.out("no feature views to materialise");
      printLines(
        io,
        renderTable(
          [
            { heading: "VIEW" },
            { heading: "ROWS READ", right: true },
            { heading: "ONLINE WRITES", right: true },
            { heading: "COMPLETE UNTIL" },
            { heading: "RESUMED" },
          ],
          results.map((r) => [
            r.view,
            String(r.rows),
            String(r.written),
            formatTime(r.until),
            r.resumed ? "yes" : "no",
          ]),
          color,
        ),
      );
    });
}
