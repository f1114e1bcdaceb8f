import { invalid } from "../core/errors.js";

/**
 * Lineage in the ML Metadata model: artifacts (datasets, models, feature views, training sets,
 * step outputs, reports), executions (step runs, training runs, deployments) and contexts (pipeline
 * runs, experiments), linked by events (artifact ↔ execution, with a direction and a named slot),
 * attributions (artifact ↔ context) and associations (execution ↔ context).
 */

/** The three kinds of lineage node. */
export type LineageNodeKind = "artifact" | "execution" | "context";

/** A lineage node as stored. */
export interface LineageNode {
  /** Store id (ULID). */
  id: string;
  kind: LineageNodeKind;
  /** Free type name, e.g. `dataset`, `model_version`, `step_run`, `pipeline_run`, `tracking_run`. */
  type: string;
  /** Human-readable name. */
  name: string;
  /**
   * The id of the domain object this node stands for, unique per kind, e.g. `run:01J…`,
   * `model_version:iris/3`, `feature_view:driver_stats`. Recording a node with an existing
   * `externalId` updates it instead of adding a second node.
   */
  externalId?: string;
  /** Content digest for artifacts (sha256), when known. */
  digest?: string;
  /** Where the thing lives (artifact URI, table name…). */
  uri?: string;
  properties: Record<string, unknown>;
  createdAt: number;
}

/** Direction of an event, seen from the execution. */
export type LineageDirection = "input" | "output";

/** A typed edge between two nodes. */
export interface LineageEdge {
  /** `event`: artifact ↔ execution; `attribution`: artifact ↔ context; `association`: execution ↔ context. */
  type: "event" | "attribution" | "association";
  /** For events: the execution; for attributions: the artifact; for associations: the execution. */
  from: string;
  /** For events: the artifact; for attributions and associations: the context. */
  to: string;
  /** Events only. */
  direction?: LineageDirection;
  /** Events only: the named input/output slot, e.g. `train_data`. */
  slot?: string;
  createdAt: number;
}

/** Fields of a node to record; `id` and `createdAt` are assigned by the store. */
export type LineageNodeInput = Omit<LineageNode, "id" | "createdAt" | "properties"> & {
  properties?: Record<string, unknown>;
};

/**
 * An edge of a {@link LineageStore.putBatch} batch: `from` and `to` are node ids, or numbers naming
 * a node of the same batch by its index.
 */
export type LineageBatchEdge = Omit<LineageEdge, "createdAt" | "from" | "to"> & {
  from: string | number;
  to: string | number;
};

/**
 * The lineage port. Required: all methods but `putBatch`. Built-ins: memory and SQL. Checked by
 * `lineageStoreSuite` in `mlcycle/testing`.
 */
export interface LineageStore {
  /** Adds a node, or updates the node of the same kind and `externalId` (keeping its id). */
  putNode(node: LineageNodeInput): Promise<LineageNode>;
  /** A node by id, or undefined. */
  getNode(id: string): Promise<LineageNode | undefined>;
  /** A node by kind and external id, or undefined. */
  findByExternalId(kind: LineageNodeKind, externalId: string): Promise<LineageNode | undefined>;
  /** Nodes matching every given field (newest first, at most `limit`, default 1000). */
  listNodes(filter: {
    kind?: LineageNodeKind;
    type?: string;
    name?: string;
    digest?: string;
    limit?: number;
  }): Promise<LineageNode[]>;
  /** Adds an edge; adding the same edge (type, from, to, direction, slot) twice keeps one. */
  addEdge(edge: Omit<LineageEdge, "createdAt">): Promise<void>;
  /** Edges touching any of the given node ids (as `from` or `to`). */
  edgesOf(nodeIds: readonly string[]): Promise<LineageEdge[]>;
  /**
   * Optional: puts several nodes (as `putNode`, in order) and then adds edges between them (as
   * `addEdge`) at once — on SQL in one transaction. Returns the nodes as stored, in input order.
   * Callers use {@link putLineageBatch}, which falls back to one call per node
   * and edge when a store lacks it.
   */
  putBatch?(nodes: readonly LineageNodeInput[], edges: readonly LineageBatchEdge[]): Promise<LineageNode[]>;
}

/** Throws what {@link resolveBatchEdge} would for an edge naming a node index outside a batch of `count`. */
export function checkBatchEdges(count: number, edges: readonly LineageBatchEdge[]): void {
  const check = (x: string | number) => {
    if (typeof x === "number" && !(Number.isInteger(x) && x >= 0 && x < count))
      throw invalid(["edges"], `refers to node ${x} of a batch of ${count}`);
  };
  for (const e of edges) {
    check(e.from);
    check(e.to);
  }
}

/** A batch edge with node indexes replaced by the ids of `nodes`. */
export function resolveBatchEdge(
  e: LineageBatchEdge,
  nodes: readonly { id: string }[],
): Omit<LineageEdge, "createdAt"> {
  const end = (x: string | number) => {
    if (typeof x === "string") return x;
    const n = nodes[x];
    if (!n) throw invalid(["edges"], `refers to node ${x} of a batch of ${nodes.length}`);
    return n.id;
  };
  const out: Omit<LineageEdge, "createdAt"> = { type: e.type, from: end(e.from), to: end(e.to) };
  if (e.direction !== undefined) out.direction = e.direction;
  if (e.slot !== undefined) out.slot = e.slot;
  return out;
}

/**
 * Puts nodes and the edges between them through `store.putBatch` when the store has it (one
 * transaction on SQL), else one `putNode` per node then one `addEdge` per edge. Edge ends are node
 * ids, or indexes into `nodes`. Returns the stored nodes in input order.
 *
 * @example
 * ```ts
 * const [exec, out] = await putLineageBatch(store,
 *   [{ kind: "execution", type: "step_run", name: "fit" }, { kind: "artifact", type: "model", name: "m" }],
 *   [{ type: "event", from: 0, to: 1, direction: "output" }]);
 * ```
 */
export async function putLineageBatch(
  store: LineageStore,
  nodes: readonly LineageNodeInput[],
  edges: readonly LineageBatchEdge[],
): Promise<LineageNode[]> {
  if (store.putBatch) return store.putBatch(nodes, edges);
  // An edge naming a node outside the batch fails it before any node is written.
  checkBatchEdges(nodes.length, edges);
  const stored: LineageNode[] = [];
  for (const n of nodes) stored.push(await store.putNode(n));
  for (const e of edges) await store.addEdge(resolveBatchEdge(e, stored));
  return stored;
}
