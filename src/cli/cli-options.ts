// Options several commands share, spelled once so that every command reads the same.
import { InvalidArgumentError, Option } from "commander";

/** Options every command that reads a workspace takes. */
export interface WorkspaceOptions {
  workspace?: string;
}

/** Options of a command that prints `--json` on request. */
export interface ReadOptions extends WorkspaceOptions {
  json?: boolean;
}

/** `-w, --workspace <dir>`. */
export const workspaceOption = () =>
  new Option("-w, --workspace <dir>", "workspace folder (default: $MLCYCLE_WORKSPACE, else ./.mlcycle)");

/** `--json`, saying what is printed. */
export const jsonOption = (what: string) => new Option("--json", `print ${what} as JSON instead of a table`);

/** Parses an integer option within bounds (a usage error otherwise). */
export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

/** `--limit <n>` with a default. */
export const limitOption = (what: string, def: number, max = 50_000) =>
  new Option("--limit <n>", `at most this many ${what}`).default(def).argParser(intOption("--limit", 1, max));

/** Who and why, recorded with a write in the audit trail. */
export interface AuditCommandOptions {
  actor?: string;
  reason?: string;
}

/** `--actor` and `--reason`, for commands whose writes are audited. */
export const auditOptions = () => [
  new Option("--actor <name>", "who makes the change (default: $MLCYCLE_ACTOR, else $USER)"),
  new Option("--reason <text>", "why, kept in the audit trail"),
];

/** The audit fields of the options, those given only. */
export function audit(options: AuditCommandOptions): { actor?: string; reason?: string } {
  return {
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
  };
}

/** Parses `key=value` (a usage error otherwise), collecting them into a record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`'${value}' is not key=value.`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
