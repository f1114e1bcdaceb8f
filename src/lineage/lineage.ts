import { closedError, invalid, notFound } from "../core/errors.js";
import {
  type LineageBatchEdge,
  putLineageBatch,
  type LineageDirection,
  type LineageEdge,
  type LineageNode,
  type LineageNodeInput,
  type LineageNodeKind,
  type LineageStore,
} from "../stores/lineage-store.js";

/** A node named by store id, or by kind and the external id of the domain object it stands for. */
export type LineageRef = string | { kind: LineageNodeKind; externalId: string };

/** An input or output of an execution: the artifact node id and the slot it fills. */
export interface LineageIo {
  artifact: string;
  slot?: string;
}

/** A subgraph answered by {@link Lineage.upstream} / {@link Lineage.downstream}. */
export interface LineageGraph {
  root: LineageNode;
  /** Every node reached, the root included, each with its hop distance from the root. */
  nodes: Array<LineageNode & { hops: number }>;
  /** Edges between the nodes reached. */
  edges: LineageEdge[];
}

/** Options of lineage traversals. */
export interface LineageQueryOptions {
  /** Hops from the root (default 10; one hop is one edge). */
  maxHops?: number;
  /** Whether to follow context edges (attributions, associations); default false. */
  includeContexts?: boolean;
}

/**
 * `ws.lineage`: records and queries the ML Metadata graph. Pipelines record each step run as an
 * execution with its input and output artifacts, the registry records model versions as artifacts
 * produced by their runs, the feature store records training sets derived from feature views.
 *
 * @example
 * ```ts
 * const data = await ws.lineage.recordArtifact({ type: "dataset", name: "iris.csv", digest });
 * const model = await ws.lineage.recordArtifact({ type: "model", name: "iris-rf" });
 * await ws.lineage.recordExecution({ type: "training_run", name: "train",
 *   inputs: [{ artifact: data.id, slot: "train" }], outputs: [{ artifact: model.id, slot: "model" }] });
 * const up = await ws.lineage.upstream(model.id); // the training run and the dataset
 * ```
 */
export class Lineage {
  private readonly store: LineageStore;

  /** Built by the workspace on its lineage store. */
  constructor(store: LineageStore) {
    this.store = store;
  }

  private closed = false;

  /** The store, or the closed error once the workspace closed this module. */
  private get open(): LineageStore {
    if (this.closed) throw closedError();
    return this.store;
  }

  /** Refuses every later call with the closed error (the store belongs to the workspace). */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** Records (or updates, by `externalId`) an artifact node. */
  async recordArtifact(node: Omit<LineageNodeInput, "kind">): Promise<LineageNode> {
    return this.open.putNode({ ...node, kind: "artifact" });
  }

  /** Records (or updates) a context node: a pipeline run, an experiment. */
  async recordContext(node: Omit<LineageNodeInput, "kind">): Promise<LineageNode> {
    return this.open.putNode({ ...node, kind: "context" });
  }

  /**
   * Records (or updates) an execution node with its input and output events and the contexts it
   * belongs to.
   */
  async recordExecution(
    node: Omit<LineageNodeInput, "kind"> & { inputs?: LineageIo[]; outputs?: LineageIo[]; contexts?: string[] },
  ): Promise<LineageNode> {
    const { inputs = [], outputs = [], contexts = [], ...rest } = node;
    // Every end is checked before anything is written; then the node and its edges are one batch.
    await Promise.all([
      ...[...inputs, ...outputs].map((io) => this.expectKind(io.artifact, "artifact")),
      ...contexts.map((c) => this.expectKind(c, "context")),
    ]);
    const edges: LineageBatchEdge[] = [
      ...inputs.map((io) => ({
        type: "event" as const,
        from: 0,
        to: io.artifact,
        direction: "input" as const,
        slot: io.slot,
      })),
      ...outputs.map((io) => ({
        type: "event" as const,
        from: 0,
        to: io.artifact,
        direction: "output" as const,
        slot: io.slot,
      })),
      ...contexts.map((c) => ({ type: "association" as const, from: 0, to: c })),
    ];
    const [execution] = await putLineageBatch(this.open, [{ ...rest, kind: "execution" }], edges);
    return execution as LineageNode;
  }

  /** Links an execution and an artifact it read (`input`) or wrote (`output`). */
  async addEvent(executionId: string, artifactId: string, direction: LineageDirection, slot?: string): Promise<void> {
    await this.expectKind(executionId, "execution");
    await this.expectKind(artifactId, "artifact");
    await this.open.addEdge({ type: "event", from: executionId, to: artifactId, direction, slot });
  }

  /** Puts an artifact in a context (MLMD attribution). */
  async attribute(artifactId: string, contextId: string): Promise<void> {
    await this.expectKind(artifactId, "artifact");
    await this.expectKind(contextId, "context");
    await this.open.addEdge({ type: "attribution", from: artifactId, to: contextId });
  }

  /** Puts an execution in a context (MLMD association). */
  async associate(executionId: string, contextId: string): Promise<void> {
    await this.expectKind(executionId, "execution");
    await this.expectKind(contextId, "context");
    await this.open.addEdge({ type: "association", from: executionId, to: contextId });
  }

  /** A node by id or external id; `NOT_FOUND` when absent. */
  async get(ref: LineageRef): Promise<LineageNode> {
    const node = await this.find(ref);
    if (!node) throw notFound("lineage node", typeof ref === "string" ? ref : `${ref.kind}:${ref.externalId}`);
    return node;
  }

  /** A node by id or external id, or undefined. */
  async find(ref: LineageRef): Promise<LineageNode | undefined> {
    return typeof ref === "string" ? this.open.getNode(ref) : this.open.findByExternalId(ref.kind, ref.externalId);
  }

  /** Nodes of a type, name or digest. */
  async list(filter: { kind?: LineageNodeKind; type?: string; name?: string; digest?: string; limit?: number } = {}) {
    return this.open.listNodes(filter);
  }

  /**
   * What `ref` was derived from: walks from artifacts to the executions that output them, and from
   * executions to the artifacts they read, up to `maxHops` edges.
   */
  async upstream(ref: LineageRef, options: LineageQueryOptions = {}): Promise<LineageGraph> {
    return this.walk(ref, "up", options);
  }

  /** What was derived from `ref`: artifacts → executions that read them → their outputs… */
  async downstream(ref: LineageRef, options: LineageQueryOptions = {}): Promise<LineageGraph> {
    return this.walk(ref, "down", options);
  }

  private async walk(ref: LineageRef, way: "up" | "down", options: LineageQueryOptions): Promise<LineageGraph> {
    const maxHops = options.maxHops ?? 10;
    if (!Number.isInteger(maxHops) || maxHops < 0) throw invalid(["maxHops"], "must be a non-negative integer");
    const root = await this.get(ref);
    const hops = new Map<string, number>([[root.id, 0]]);
    const nodes = new Map<string, LineageNode>([[root.id, root]]);
    const edges = new Map<string, LineageEdge>();
    let frontier = [root];
    for (let h = 1; h <= maxHops && frontier.length > 0; h++) {
      const byId = new Map(frontier.map((n) => [n.id, n]));
      const found = await this.open.edgesOf([...byId.keys()]);
      const next: string[] = [];
      for (const e of found) {
        const step = this.follow(e, byId, way, options.includeContexts ?? false);
        if (!step) continue;
        edges.set(`${e.type}|${e.from}|${e.to}|${e.direction ?? ""}|${e.slot ?? ""}`, e);
        if (!hops.has(step)) {
          hops.set(step, h);
          next.push(step);
        }
      }
      frontier = [];
      for (const id of next) {
        const n = await this.open.getNode(id);
        if (n) {
          nodes.set(id, n);
          frontier.push(n);
        }
      }
    }
    return {
      root,
      nodes: [...nodes.values()].map((n) => ({ ...n, hops: hops.get(n.id) ?? 0 })),
      edges: [...edges.values()].filter((e) => nodes.has(e.from) && nodes.has(e.to)),
    };
  }

  /** The node an edge leads to from one of `from` in the given direction, or undefined. */
  private follow(
    e: LineageEdge,
    from: Map<string, LineageNode>,
    way: "up" | "down",
    contexts: boolean,
  ): string | undefined {
    if (e.type !== "event") {
      if (!contexts) return undefined;
      return from.has(e.from) ? e.to : from.has(e.to) ? e.from : undefined;
    }
    const exec = from.get(e.from);
    const art = from.get(e.to);
    // Upstream: artifact ← execution that output it; execution ← artifacts it read.
    if (way === "up") {
      if (art && e.direction === "output") return e.from;
      if (exec && e.direction === "input") return e.to;
    } else {
      if (art && e.direction === "input") return e.from;
      if (exec && e.direction === "output") return e.to;
    }
    return undefined;
  }

  private async expectKind(id: string, kind: LineageNodeKind): Promise<void> {
    const n = await this.open.getNode(id);
    if (!n) throw notFound(`lineage ${kind}`, id);
    if (n.kind !== kind) throw invalid([kind], `node ${id} is a ${n.kind}, not a ${kind}`);
  }
}
