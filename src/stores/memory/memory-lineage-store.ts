import { newId } from "../../core/ids.js";
import type {
  LineageBatchEdge,
  LineageEdge,
  LineageNode,
  LineageNodeInput,
  LineageNodeKind,
  LineageStore,
} from "../lineage-store.js";
import { resolveBatchEdge } from "../lineage-store.js";

const edgeKey = (e: Omit<LineageEdge, "createdAt">) =>
  `${e.type}|${e.from}|${e.to}|${e.direction ?? ""}|${e.slot ?? ""}`;

/** The in-memory {@link LineageStore}: the reference implementation. */
export class MemoryLineageStore implements LineageStore {
  private readonly nodes = new Map<string, LineageNode>();
  private readonly byExternal = new Map<string, string>();
  private readonly edges = new Map<string, LineageEdge>();
  private readonly adjacency = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  async putNode(input: LineageNodeInput): Promise<LineageNode> {
    return copyNode(this.put(input));
  }

  async putBatch(nodes: readonly LineageNodeInput[], edges: readonly LineageBatchEdge[]): Promise<LineageNode[]> {
    const stored = nodes.map((n) => this.put(n));
    for (const e of edges) this.edge(resolveBatchEdge(e, stored));
    return stored.map(copyNode);
  }

  private put(input: LineageNodeInput): LineageNode {
    const existingId = input.externalId ? this.byExternal.get(`${input.kind}|${input.externalId}`) : undefined;
    const existing = existingId ? this.nodes.get(existingId) : undefined;
    const node: LineageNode = existing
      ? {
          ...existing,
          ...strip(input),
          properties: { ...existing.properties, ...(input.properties ?? {}) },
        }
      : { ...strip(input), id: newId(), properties: { ...(input.properties ?? {}) }, createdAt: this.now() };
    this.nodes.set(node.id, node);
    if (node.externalId) this.byExternal.set(`${node.kind}|${node.externalId}`, node.id);
    return node;
  }

  async getNode(id: string) {
    const n = this.nodes.get(id);
    return n ? copyNode(n) : undefined;
  }

  async findByExternalId(kind: LineageNodeKind, externalId: string) {
    const id = this.byExternal.get(`${kind}|${externalId}`);
    return id ? this.getNode(id) : undefined;
  }

  async listNodes(filter: { kind?: LineageNodeKind; type?: string; name?: string; digest?: string; limit?: number }) {
    const out = [...this.nodes.values()].filter(
      (n) =>
        (filter.kind === undefined || n.kind === filter.kind) &&
        (filter.type === undefined || n.type === filter.type) &&
        (filter.name === undefined || n.name === filter.name) &&
        (filter.digest === undefined || n.digest === filter.digest),
    );
    out.sort((a, b) => (a.id < b.id ? 1 : -1));
    return out.slice(0, filter.limit ?? 1000).map(copyNode);
  }

  async addEdge(edge: Omit<LineageEdge, "createdAt">) {
    this.edge(edge);
  }

  private edge(edge: Omit<LineageEdge, "createdAt">): void {
    const key = edgeKey(edge);
    if (this.edges.has(key)) return;
    this.edges.set(key, { ...edge, createdAt: this.now() });
    for (const id of [edge.from, edge.to]) {
      let s = this.adjacency.get(id);
      if (!s) this.adjacency.set(id, (s = new Set()));
      s.add(key);
    }
  }

  async edgesOf(nodeIds: readonly string[]) {
    const keys = new Set<string>();
    for (const id of nodeIds) for (const k of this.adjacency.get(id) ?? []) keys.add(k);
    return [...keys].map((k) => ({ ...(this.edges.get(k) as LineageEdge) }));
  }
}

function strip(input: LineageNodeInput): Omit<LineageNode, "id" | "createdAt" | "properties"> {
  const out: Omit<LineageNode, "id" | "createdAt" | "properties"> = {
    kind: input.kind,
    type: input.type,
    name: input.name,
  };
  if (input.externalId !== undefined) out.externalId = input.externalId;
  if (input.digest !== undefined) out.digest = input.digest;
  if (input.uri !== undefined) out.uri = input.uri;
  return out;
}

/** A copy a caller may change freely: properties are JSON-like, copied without structuredClone's cost. */
function copyNode(n: LineageNode): LineageNode {
  return { ...n, properties: copyValue(n.properties) as Record<string, unknown> };
}

function copyValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(copyValue);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copyValue((v as Record<string, unknown>)[k]);
  return out;
}
