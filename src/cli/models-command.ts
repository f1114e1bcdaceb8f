import type { Command } from "commander";
import type { AliasMove, ModelRef, ModelVersion, RegisteredModel, Workspace } from "../index.js";
import type { CliOutput } from "./cli-errors.js";
import { formatNumber, formatTime, printJson, printLines } from "./cli-format.js";
import {
  type AuditCommandOptions,
  audit,
  auditOptions,
  jsonOption,
  limitOption,
  type ReadOptions,
  workspaceOption,
} from "./cli-options.js";
import { renderTable } from "./cli-table.js";
import { plainTerminal } from "./cli-terminal.js";
import { withWorkspace } from "./cli-workspace.js";
import { addRegisterCommand } from "./models-register-command.js";

/** One alias of a model as `mlcycle models aliases` reports it: where it points and its latest move. */
export interface AliasState {
  alias: string;
  version: number;
  /** When it was last moved, by whom and why (from the audit trail). */
  movedAt?: number;
  actor?: string;
  reason?: string;
}

const aliasList = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([a, v]) => `${a}→${v}`)
    .join(", ");

const metricList = (metrics: Record<string, number>, most = 3) => {
  const entries = Object.entries(metrics).sort(([a], [b]) => (a < b ? -1 : 1));
  const shown = entries.slice(0, most).map(([k, v]) => `${k}=${formatNumber(v)}`);
  return shown.join(", ") + (entries.length > most ? ", …" : "");
};

/** `VERSION` of `promote`: a number, an alias or `latest` of the same model, or a full reference. */
function target(name: string, version: string): number | ModelRef {
  if (/^\d+$/.test(version)) return Number(version);
  if (version.includes("@") || version.startsWith("models:/")) return version;
  return `${name}@${version}`;
}

/** Every registered model (following pages), or those whose name matches a LIKE pattern, up to `limit`. */
async function models(ws: Workspace, nameLike: string | undefined, limit: number): Promise<RegisteredModel[]> {
  const out: RegisteredModel[] = [];
  let after: string | undefined;
  while (out.length < limit) {
    const want = Math.min(1000, limit - out.length);
    const page = await ws.registry.searchModels({
      ...(nameLike !== undefined ? { nameLike } : {}),
      ...(after !== undefined ? { after } : {}),
      limit: want,
    });
    out.push(...page);
    if (page.length < want) break;
    after = page[page.length - 1].name;
  }
  return out;
}

function moveSentence(m: AliasMove): string {
  const from = m.from === undefined ? "(new)" : String(m.from);
  const to = m.to === undefined ? "(removed)" : String(m.to);
  return `${m.model}@${m.alias}: ${from} → ${to}${m.action === "rollback" ? " (rollback)" : ""}`;
}

/** Adds `mlcycle models list | versions | aliases | promote | rollback | history | register`. */
export function addModelsCommands(program: Command, io: CliOutput): void {
  const color = (io.terminal ?? plainTerminal).color;
  const group = program
    .command("models")
    .description("the model registry: models, versions, aliases and their audit trail; register a model file");

  group
    .command("list")
    .description("registered models, by name: latest version and where each alias points")
    .option("--name-like <pattern>", "only names matching a LIKE pattern (case-insensitive, % and _)")
    .addOption(limitOption("models", 1000, 100_000))
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of the models"))
    .action(async (options: ReadOptions & { nameLike?: string; limit: number }) => {
      const list = await withWorkspace(options.workspace, (ws) => models(ws, options.nameLike, options.limit));
      if (options.json) return printJson(io, list);
      if (list.length === 0) return io.out(options.nameLike ? "no models match" : "no registered models");
      printLines(
        io,
        renderTable(
          [
            { heading: "NAME" },
            { heading: "LATEST", right: true },
            { heading: "ALIASES" },
            { heading: "UPDATED" },
            { heading: "DESCRIPTION" },
          ],
          list.map((m) => [
            m.name,
            m.latestVersion === undefined ? "-" : String(m.latestVersion),
            aliasList(m.aliases),
            formatTime(m.updatedAt),
            m.description,
          ]),
          color,
        ),
      );
    });

  group
    .command("versions")
    .description("the versions of a model, oldest first")
    .argument("<NAME>", "the registered model")
    .option("--all", "deleted versions too")
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of the versions"))
    .action(async (name: string, options: ReadOptions & { all?: boolean }) => {
      const versions = await withWorkspace(options.workspace, async (ws) => {
        await ws.registry.getModel(name);
        return ws.registry.listVersions(name, { includeDeleted: options.all ?? false });
      });
      if (options.json) return printJson(io, versions);
      if (versions.length === 0) return io.out(`model ${name} has no versions`);
      printLines(io, versionsTable(versions, color));
    });

  group
    .command("aliases")
    .description("where each alias of a model points, and who moved it last")
    .argument("<NAME>", "the registered model")
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of { alias, version, movedAt, actor, reason }"))
    .action(async (name: string, options: ReadOptions) => {
      const states = await withWorkspace(options.workspace, async (ws) => {
        const current = await ws.registry.aliases(name);
        const out: AliasState[] = [];
        for (const [alias, version] of Object.entries(current).sort(([a], [b]) => (a < b ? -1 : 1))) {
          const [last] = await ws.registry.aliasHistory(name, alias, { limit: 1 });
          out.push({
            alias,
            version,
            ...(last ? { movedAt: last.at, actor: last.actor, reason: last.reason } : {}),
          });
        }
        return out;
      });
      if (options.json) return printJson(io, states);
      if (states.length === 0) return io.out(`model ${name} has no aliases`);
      printLines(
        io,
        renderTable(
          [
            { heading: "ALIAS" },
            { heading: "VERSION", right: true },
            { heading: "SINCE" },
            { heading: "BY" },
            { heading: "REASON" },
          ],
          states.map((s) => [s.alias, String(s.version), formatTime(s.movedAt), s.actor ?? "-", s.reason ?? ""]),
          color,
        ),
      );
    });

  const promote = group
    .command("promote")
    .description("point an alias at a version (atomic, audited, checked against the alias's policy)")
    .argument("<NAME>", "the registered model")
    .argument("<ALIAS>", "the alias to move, e.g. champion")
    .argument("<VERSION>", "a version number, another alias of the model (challenger), latest, or a full reference");
  for (const o of auditOptions()) promote.addOption(o);
  promote
    .addOption(workspaceOption())
    .addOption(jsonOption("the alias move"))
    .action(async (name: string, alias: string, version: string, options: ReadOptions & AuditCommandOptions) => {
      const move = await withWorkspace(options.workspace, (ws) =>
        ws.registry.promote(name, alias, target(name, version), audit(options)),
      );
      if (options.json) return printJson(io, move);
      io.out(moveSentence(move));
    });

  const rollback = group
    .command("rollback")
    .description("return an alias to the version it pointed to before its latest move (repeatable)")
    .argument("<NAME>", "the registered model")
    .argument("<ALIAS>", "the alias, e.g. champion");
  for (const o of auditOptions()) rollback.addOption(o);
  rollback
    .addOption(workspaceOption())
    .addOption(jsonOption("the alias move"))
    .action(async (name: string, alias: string, options: ReadOptions & AuditCommandOptions) => {
      const move = await withWorkspace(options.workspace, (ws) => ws.registry.rollback(name, alias, audit(options)));
      if (options.json) return printJson(io, move);
      io.out(moveSentence(move));
    });

  group
    .command("history")
    .description("the audit trail of a model's aliases (or of one alias), newest first")
    .argument("<NAME>", "the registered model")
    .argument("[ALIAS]", "only this alias")
    .addOption(limitOption("moves", 100, 100_000))
    .addOption(workspaceOption())
    .addOption(jsonOption("an array of the alias moves"))
    .action(async (name: string, alias: string | undefined, options: ReadOptions & { limit: number }) => {
      const moves = await withWorkspace(options.workspace, async (ws) => {
        await ws.registry.getModel(name);
        return ws.registry.aliasHistory(name, alias, { limit: options.limit });
      });
      if (options.json) return printJson(io, moves);
      if (moves.length === 0) return io.out(`no alias moves of ${name}${alias !== undefined ? `@${alias}` : ""}`);
      printLines(
        io,
        renderTable(
          [
            { heading: "AT" },
            { heading: "ALIAS" },
            { heading: "ACTION" },
            { heading: "FROM", right: true },
            { heading: "TO", right: true },
            { heading: "ACTOR" },
            { heading: "REASON" },
          ],
          moves.map((m) => [
            formatTime(m.at),
            m.alias,
            m.action,
            m.from === undefined ? "-" : String(m.from),
            m.to === undefined ? "-" : String(m.to),
            m.actor,
            m.reason,
          ]),
          color,
        ),
      );
    });

  addRegisterCommand(group, io);
}

/** `mlcycle models versions`: one line per version. */
function versionsTable(versions: readonly ModelVersion[], color: typeof plainTerminal.color): string[] {
  return renderTable(
    [
      { heading: "VERSION", right: true },
      { heading: "FLAVOR" },
      { heading: "ALIASES" },
      { heading: "CREATED" },
      { heading: "BY" },
      { heading: "SOURCE RUN" },
      { heading: "METRICS" },
      { heading: "DIGEST" },
    ],
    versions.map((v) => [
      v.deletedAt !== undefined ? color.dim(`${v.version} (deleted)`) : String(v.version),
      v.flavor,
      [...v.aliases].sort().join(", "),
      formatTime(v.createdAt),
      v.createdBy ?? "-",
      v.runId ?? (v.pipelineRunId !== undefined ? `pipeline ${v.pipelineRunId}` : "-"),
      metricList(v.metrics),
      v.digest.slice(0, 12),
    ]),
    color,
  );
}
