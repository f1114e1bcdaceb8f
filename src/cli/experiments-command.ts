import type { Command } from "commander";
import type { Experiment } from "../index.js";
import type { CliOutput } from "./cli-errors.js";
import { formatTime, printJson, printLines } from "./cli-format.js";
import { jsonOption, keyValue, limitOption, type ReadOptions, workspaceOption } from "./cli-options.js";
import { renderTable } from "./cli-table.js";
import { plainTerminal } from "./cli-terminal.js";
import { withWorkspace } from "./cli-workspace.js";

interface ListOptions extends ReadOptions {
  all?: boolean;
  deleted?: boolean;
  limit: number;
}

interface CreateOptions extends ReadOptions {
  description?: string;
  tag?: Record<string, string>;
}

const tags = (t: Record<string, string>) =>
  Object.entries(t)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

/** One line of what a write did, or its record as JSON. */
function report(io: CliOutput, options: ReadOptions, e: Experiment, sentence: string): void {
  if (options.json) printJson(io, e);
  else io.out(sentence);
}

/**
 * Adds `mlcycle experiments list | create | rename | delete | restore`: the tracking experiments of a
 * workspace (online experiments are `mlcycle ab`).
 */
export function addExperimentsCommands(program: Command, io: CliOutput): void {
  const color = (io.terminal ?? plainTerminal).color;
  const experiments = program
    .command("experiments")
    .description("tracking experiments: named groups of runs (list, create, rename, delete, restore)");

  experiments
    .command("list")
    .description("the experiments, oldest first (active ones unless --all or --deleted)")
    .option("--all", "active and deleted experiments")
    .option("--deleted", "deleted experiments only")
    .addOption(limitOption("experiments", 1000, 50_000))
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of the experiments"))
    .action(async (options: ListOptions) => {
      const lifecycle = options.all ? "all" : options.deleted ? "deleted" : "active";
      const list = await withWorkspace(options.workspace, (ws) =>
        ws.experiments.list({ lifecycle, limit: options.limit }),
      );
      if (options.json) return printJson(io, list);
      if (list.length === 0) return io.out(lifecycle === "deleted" ? "no deleted experiments" : "no experiments");
      printLines(
        io,
        renderTable(
          [
            { heading: "NAME" },
            { heading: "ID" },
            { heading: "LIFECYCLE" },
            { heading: "CREATED" },
            { heading: "TAGS" },
            { heading: "DESCRIPTION" },
          ],
          list.map((e) => [
            e.name,
            e.id,
            e.lifecycle === "deleted" ? color.dim("deleted") : "active",
            formatTime(e.createdAt),
            tags(e.tags),
            e.description ?? "",
          ]),
          color,
        ),
      );
    });

  experiments
    .command("create")
    .description("create an experiment (the workspace folder too when missing)")
    .argument("<NAME>", "its name (unique, deleted experiments included)")
    .option("-d, --description <text>", "what it is for")
    .option("-t, --tag <key=value>", "a tag (repeatable)", keyValue)
    .addOption(workspaceOption())
    .addOption(jsonOption("the experiment"))
    .action(async (name: string, options: CreateOptions) => {
      const e = await withWorkspace(
        options.workspace,
        (ws) =>
          ws.experiments.create(name, {
            ...(options.description !== undefined ? { description: options.description } : {}),
            ...(options.tag ? { tags: options.tag } : {}),
          }),
        { mustExist: false },
      );
      report(io, options, e, `created experiment ${e.name} (${e.id})`);
    });

  experiments
    .command("rename")
    .description("rename an experiment; its runs follow")
    .argument("<EXPERIMENT>", "its name or id")
    .argument("<NEW_NAME>", "the new name")
    .addOption(workspaceOption())
    .addOption(jsonOption("the experiment"))
    .action(async (nameOrId: string, newName: string, options: ReadOptions) => {
      const [before, e] = await withWorkspace(options.workspace, async (ws) => {
        const old = await ws.experiments.get(nameOrId);
        return [old, await ws.experiments.rename(old.id, newName)] as const;
      });
      report(io, options, e, `renamed experiment ${before.name} to ${e.name}`);
    });

  experiments
    .command("delete")
    .description("soft-delete experiments: their runs stay readable, new runs are refused until restored")
    .argument("<EXPERIMENT...>", "names or ids")
    .addOption(workspaceOption())
    .addOption(jsonOption("the experiments"))
    .action(async (names: string[], options: ReadOptions) => {
      const done = await withWorkspace(options.workspace, async (ws) => {
        const found = [];
        // Every name is checked before anything is deleted.
        for (const n of names) found.push(await ws.experiments.get(n));
        const out: Experiment[] = [];
        for (const e of found) out.push(await ws.experiments.delete(e.id));
        return out;
      });
      if (options.json) return printJson(io, done);
      for (const e of done)
        io.out(`deleted experiment ${e.name} (restore it with: mlcycle experiments restore ${e.id})`);
    });

  experiments
    .command("restore")
    .description("restore deleted experiments")
    .argument("<EXPERIMENT...>", "names or ids")
    .addOption(workspaceOption())
    .addOption(jsonOption("the experiments"))
    .action(async (names: string[], options: ReadOptions) => {
      const done = await withWorkspace(options.workspace, async (ws) => {
        const found = [];
        for (const n of names) found.push(await ws.experiments.get(n));
        const out: Experiment[] = [];
        for (const e of found) out.push(await ws.experiments.restore(e.id));
        return out;
      });
      if (options.json) return printJson(io, done);
      for (const e of done) io.out(`restored experiment ${e.name}`);
    });
}
