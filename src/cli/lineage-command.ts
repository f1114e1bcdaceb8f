import { type Command, Option } from "commander";
import {
  isMlcycleError,
  type LineageGraph,
  type LineageNode,
  type LineageNodeKind,
  lineageIds,
  MlcycleError,
  type Workspace,
} from "../index.js";
import type { CliOutput } from "./cli-errors.js";
import { printJson, printLines } from "./cli-format.js";
import { intOption, jsonOption, type ReadOptions, workspaceOption } from "./cli-options.js";
import { type Colors, plainTerminal } from "./cli-terminal.js";
import { withWorkspace } from "./cli-workspace.js";
import { renderTree } from "./tree-format.js";

interface WalkOptions extends ReadOptions {
  hops: number;
  contexts?: boolean;
}

const KINDS: readonly LineageNodeKind[] = ["artifact", "execution", "context"];
/** The prefixes of the external ids the modules give their nodes (`lineageIds`). */
const PREFIXES = Object.values(lineageIds).map((f) => (f as (...a: string[]) => string)("", "").split(":")[0]);

async function byExternalId(ws: Workspace, externalId: string): Promise<LineageNode | undefined> {
  for (const kind of KINDS) {
    const n = await ws.lineage.find({ kind, externalId });
    if (n) return n;
  }
  return undefined;
}

/**
 * The node a command line names: a node id; an external id (`model_version:iris/2`, `run:<id>`,
 * `feature_view:trips`…); a model version reference (`iris@champion`, `iris@2`, `models:/iris/2`); or
 * the id of a tracking run or pipeline run. `NOT_FOUND` saying what was tried.
 */
export async function findNode(ws: Workspace, ref: string): Promise<LineageNode> {
  const direct = await ws.lineage.find(ref);
  if (direct) return direct;
  const colon = ref.indexOf(":");
  if (colon > 0 && PREFIXES.includes(ref.slice(0, colon)) && !ref.startsWith("models:")) {
    const n = await byExternalId(ws, ref);
    if (n) return n;
  }
  if (ref.includes("@") || ref.startsWith("models:/")) {
    const v = await ws.registry.getVersion(ref).catch((error: unknown) => {
      if (isMlcycleError(error, "NOT_FOUND") || isMlcycleError(error, "VALIDATION")) return undefined;
      throw error;
    });
    if (v) {
      const n = await byExternalId(ws, lineageIds.modelVersion(v.model, v.version));
      if (n) return n;
    }
  }
  for (const externalId of [lineageIds.run(ref), lineageIds.pipelineRun(ref)]) {
    const n = await byExternalId(ws, externalId);
    if (n) return n;
  }
  throw new MlcycleError(
    "NOT_FOUND",
    `no lineage node '${ref}': give a node id, an external id (model_version:NAME/N, run:RUN_ID, feature_view:NAME…), ` +
      "a model version (NAME@ALIAS, NAME@N) or a tracking or pipeline run id",
    { details: { kind: "lineage node", key: ref } },
  );
}

/** A node on one line: its type and name, and the id it is found by. */
function label(n: LineageNode, color: Colors): string {
  // Digests inside external ids (dataset:<sha256>) cut as the digest is.
  const id = (n.externalId ?? n.id).replace(/[0-9a-f]{32,}/g, (h) => `${h.slice(0, 12)}…`);
  const extra = [n.digest ? `sha256 ${n.digest.slice(0, 12)}` : undefined, id].filter(Boolean);
  return `${color.dim(n.type)} ${color.bold(n.name)} ${color.dim(`(${extra.join(", ")})`)}`;
}

/** The subgraph as a tree from its root: each node under the nodes one hop nearer the root that it is linked to. */
export function lineageLines(g: LineageGraph, way: "upstream" | "downstream", color: Colors): string[] {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const children = new Map<string, string[]>();
  for (const e of g.edges)
    for (const [a, b] of [
      [e.from, e.to],
      [e.to, e.from],
    ]) {
      const na = byId.get(a);
      const nb = byId.get(b);
      if (na && nb && nb.hops === na.hops + 1) {
        const list = children.get(a) ?? [];
        if (!list.includes(b)) list.push(b);
        children.set(a, list);
      }
    }
  const lines = renderTree(
    [g.root.id],
    {
      label: (id) => label(byId.get(id) as LineageNode, color),
      children: (id) =>
        (children.get(id) ?? []).sort((x, y) => {
          const nx = byId.get(x) as LineageNode;
          const ny = byId.get(y) as LineageNode;
          return nx.createdAt - ny.createdAt || (nx.id < ny.id ? -1 : 1);
        }),
    },
    color,
  );
  if (g.nodes.length === 1)
    lines.push(
      color.dim(
        g.root.kind === "context"
          ? `(nothing ${way} without contexts: add --contexts --hops 1 to list what this ${g.root.type} groups)`
          : `(nothing ${way})`,
      ),
    );
  return lines;
}

/** Adds `mlcycle lineage upstream | downstream NODE`. */
export function addLineageCommands(program: Command, io: CliOutput): void {
  const color = (io.terminal ?? plainTerminal).color;
  const lineage = program
    .command("lineage")
    .description("where a model, dataset or run came from (upstream) and what was made from it (downstream)");

  for (const way of ["upstream", "downstream"] as const)
    lineage
      .command(way)
      .alias(way === "upstream" ? "up" : "down")
      .description(
        way === "upstream"
          ? "what a node was derived from, as a tree: a model version ← its run ← the datasets it read…"
          : "what was derived from a node, as a tree: a dataset → the runs that read it → their models…",
      )
      .argument(
        "<NODE>",
        "a model version (iris@champion, iris@2), a tracking or pipeline run id, an external id (feature_view:trips) or a node id",
      )
      .addOption(
        new Option("--hops <n>", "at most this many edges from the node")
          .default(10)
          .argParser(intOption("--hops", 0, 1000)),
      )
      .option("--contexts", "also follow contexts (experiments, pipeline runs)")
      .addOption(workspaceOption())
      .addOption(jsonOption("{ root, nodes, edges }"))
      .action(async (ref: string, options: WalkOptions) => {
        const graph = await withWorkspace(options.workspace, async (ws) => {
          const node = await findNode(ws, ref);
          const walk = { maxHops: options.hops, includeContexts: options.contexts ?? false };
          return way === "upstream" ? ws.lineage.upstream(node.id, walk) : ws.lineage.downstream(node.id, walk);
        });
        if (options.json) return printJson(io, graph);
        printLines(io, lineageLines(graph, way, color));
      });
}
