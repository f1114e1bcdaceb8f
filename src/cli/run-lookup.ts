import { isMlcycleError, MlcycleError, type RunInfo, type Workspace } from "../index.js";

/**
 * A run named on the command line: by id, else by name when exactly one run (of any experiment,
 * deleted ones included) has it. `NOT_FOUND` naming it, or `CONFLICT` listing the runs a shared
 * name matches.
 */
export async function findRun(ws: Workspace, ref: string): Promise<RunInfo> {
  try {
    return await ws.experiments.getRun(ref);
  } catch (error) {
    // A backslash would escape the closing quote of the filter: such a name is looked up by id only.
    if (!isMlcycleError(error, "NOT_FOUND") || ref.includes("\\")) throw error;
    const { runs } = await ws.experiments.searchRuns({
      filter: `attributes.run_name = '${ref.replaceAll("'", "''")}'`,
      lifecycle: "all",
      maxResults: 5,
    });
    if (runs.length === 1) return runs[0];
    if (runs.length === 0)
      throw new MlcycleError("NOT_FOUND", `run '${ref}' not found: give a run id (mlcycle runs list) or a run name`, {
        details: { kind: "run", key: ref },
      });
    throw new MlcycleError(
      "CONFLICT",
      `run name '${ref}' is shared by several runs (${runs.map((r) => r.id).join(", ")}${runs.length === 5 ? ", …" : ""}): give the run id`,
      { details: { kind: "run", key: ref } },
    );
  }
}

/** Experiment id → name, for the experiments of a workspace (deleted ones included). */
export async function experimentNames(ws: Workspace): Promise<Map<string, string>> {
  const all = await ws.experiments.list({ lifecycle: "all", limit: 50_000 });
  return new Map(all.map((e) => [e.id, e.name]));
}
