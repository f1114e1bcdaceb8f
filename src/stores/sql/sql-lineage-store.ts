import type { Kysely } from "kysely";
import { newId } from "../../core/ids.js";
import {
  type LineageBatchEdge,
  type LineageEdge,
  type LineageNode,
  type LineageNodeInput,
  type LineageNodeKind,
  type LineageStore,
  resolveBatchEdge,
} from "../lineage-store.js";
import {
  type compileWithSlots,
  prepareSlotted,
  type SlottedStatement,
  type SqlAccelerator,
  slot,
} from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";

interface NodeRow {
  id: string;
  kind: string;
  type: string;
  name: string;
  external_id: string | null;
  digest: string | null;
  uri: string | null;
  properties: string;
  created_at: number | string;
}
interface EdgeRow {
  type: string;
  from_id: string;
  to_id: string;
  direction: string;
  slot: string;
  created_at: number | string;
}
interface Tables {
  lineage_nodes: NodeRow;
  lineage_edges: EdgeRow;
}

const toNode = (r: NodeRow): LineageNode => {
  const n: LineageNode = {
    id: r.id,
    kind: r.kind as LineageNodeKind,
    type: r.type,
    name: r.name,
    properties: JSON.parse(r.properties),
    createdAt: Number(r.created_at),
  };
  if (r.external_id !== null) n.externalId = r.external_id;
  if (r.digest !== null) n.digest = r.digest;
  if (r.uri !== null) n.uri = r.uri;
  return n;
};

const toEdge = (r: EdgeRow): LineageEdge => {
  const e: LineageEdge = {
    type: r.type as LineageEdge["type"],
    from: r.from_id,
    to: r.to_id,
    createdAt: Number(r.created_at),
  };
  if (r.direction) e.direction = r.direction as LineageEdge["direction"];
  if (r.slot) e.slot = r.slot;
  return e;
};

/** A stored node updated by a second record with the same external id: later fields win, properties merge. */
function merged(existing: NodeRow, input: LineageNodeInput): NodeRow {
  const props = { ...JSON.parse(existing.properties), ...(input.properties ?? {}) };
  return {
    ...existing,
    type: input.type,
    name: input.name,
    digest: input.digest ?? existing.digest,
    uri: input.uri ?? existing.uri,
    properties: JSON.stringify(props),
  };
}

function fresh(input: LineageNodeInput, now: number): NodeRow {
  return {
    id: newId(),
    kind: input.kind,
    type: input.type,
    name: input.name,
    external_id: input.externalId ?? null,
    digest: input.digest ?? null,
    uri: input.uri ?? null,
    properties: JSON.stringify(input.properties ?? {}),
    created_at: now,
  };
}

type Prepared = SlottedStatement;

interface FastStatements {
  find: Prepared;
  update: Prepared;
  insert: Prepared;
  insertEdge: Prepared;
}

const NODE_COLUMNS = [
  "id",
  "kind",
  "type",
  "name",
  "external_id",
  "digest",
  "uri",
  "properties",
  "created_at",
] as const;

/** The Kysely {@link LineageStore}; batches run as prepared statements in the group commit of an accelerated database. */
export class SqlLineageStore implements LineageStore {
  private readonly db: Kysely<Tables>;
  private statements?: FastStatements;

  constructor(
    readonly database: SqlDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.db = database.db as Kysely<Tables>;
  }

  async putNode(input: LineageNodeInput): Promise<LineageNode> {
    return writeTransaction(this.database, (trx) => this.put(trx as Kysely<Tables>, input));
  }

  /**
   * Nodes then edges in one transaction: with an accelerator through prepared statements, grouped
   * with the other writes of the same turn (its group commit).
   */
  async putBatch(nodes: readonly LineageNodeInput[], edges: readonly LineageBatchEdge[]): Promise<LineageNode[]> {
    const fast = this.database.accelerator;
    if (fast) return fast.write(this.putBatchPrepared(fast, nodes, edges));
    return writeTransaction(this.database, (trx) => this.putBatchIn(trx, nodes, edges));
  }

  /** A batch as a synchronous work for the accelerator's group commit (a pipeline step's commit uses it). */
  putBatchPrepared(
    fast: SqlAccelerator,
    nodes: readonly LineageNodeInput[],
    edges: readonly LineageBatchEdge[],
  ): () => LineageNode[] {
    const now = this.now();
    const st = this.prepare(fast);
    return () => {
      const stored = nodes.map((n) => this.putPrepared(st, n, now));
      for (const e of edges) {
        const r = resolveBatchEdge(e, stored);
        st.insertEdge.stmt.run(
          st.insertEdge.query.bind({
            type: r.type,
            from_id: r.from,
            to_id: r.to,
            direction: r.direction ?? "",
            slot: r.slot ?? "",
            created_at: now,
          }),
        );
      }
      return stored;
    };
  }

  /** A batch inside the caller's transaction. */
  async putBatchIn(
    trx: Kysely<any>,
    nodes: readonly LineageNodeInput[],
    edges: readonly LineageBatchEdge[],
  ): Promise<LineageNode[]> {
    const db = trx as Kysely<Tables>;
    const stored: LineageNode[] = [];
    for (const n of nodes) stored.push(await this.put(db, n));
    for (const e of edges) await this.insertEdge(db, resolveBatchEdge(e, stored));
    return stored;
  }

  private prepare(fast: SqlAccelerator): FastStatements {
    if (this.statements) return this.statements;
    const prepared = (query: Parameters<typeof compileWithSlots>[0]): Prepared => prepareSlotted(fast, query);
    const slots = <K extends string>(names: readonly K[]) =>
      Object.fromEntries(names.map((n) => [n, slot(n)])) as Record<K, never>;
    this.statements = {
      find: prepared(
        this.db
          .selectFrom("lineage_nodes")
          .selectAll()
          .where("kind", "=", slot("kind"))
          .where("external_id", "=", slot("external_id")),
      ),
      update: prepared(
        this.db
          .updateTable("lineage_nodes")
          .set(slots(["type", "name", "digest", "uri", "properties"] as const))
          .where("id", "=", slot("id")),
      ),
      insert: prepared(this.db.insertInto("lineage_nodes").values(slots(NODE_COLUMNS))),
      insertEdge: prepared(
        this.db
          .insertInto("lineage_edges")
          .values(slots(["type", "from_id", "to_id", "direction", "slot", "created_at"] as const))
          .onConflict((oc) => oc.doNothing()),
      ),
    };
    return this.statements;
  }

  /** `put` through prepared statements (the same rows and merge rules). */
  private putPrepared(st: FastStatements, input: LineageNodeInput, now: number): LineageNode {
    const existing =
      input.externalId !== undefined
        ? (st.find.stmt.get(st.find.query.bind({ kind: input.kind, external_id: input.externalId })) as
            | NodeRow
            | undefined)
        : undefined;
    if (existing) {
      const row = merged(existing, input);
      st.update.stmt.run(st.update.query.bind(row as unknown as Record<string, unknown>));
      return toNode(row);
    }
    const row = fresh(input, now);
    st.insert.stmt.run(st.insert.query.bind(row as unknown as Record<string, unknown>));
    return toNode(row);
  }

  private async put(db: Kysely<Tables>, input: LineageNodeInput): Promise<LineageNode> {
    const existing =
      input.externalId !== undefined
        ? await db
            .selectFrom("lineage_nodes")
            .selectAll()
            .where("kind", "=", input.kind)
            .where("external_id", "=", input.externalId)
            .executeTakeFirst()
        : undefined;
    if (existing) {
      const row = merged(existing, input);
      await db
        .updateTable("lineage_nodes")
        .set({ type: row.type, name: row.name, digest: row.digest, uri: row.uri, properties: row.properties })
        .where("id", "=", existing.id)
        .execute();
      return toNode(row);
    }
    const row = fresh(input, this.now());
    await db.insertInto("lineage_nodes").values(row).execute();
    return toNode(row);
  }

  async getNode(id: string) {
    const r = await this.db.selectFrom("lineage_nodes").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toNode(r) : undefined;
  }

  async findByExternalId(kind: LineageNodeKind, externalId: string) {
    const r = await this.db
      .selectFrom("lineage_nodes")
      .selectAll()
      .where("kind", "=", kind)
      .where("external_id", "=", externalId)
      .executeTakeFirst();
    return r ? toNode(r) : undefined;
  }

  async listNodes(filter: { kind?: LineageNodeKind; type?: string; name?: string; digest?: string; limit?: number }) {
    let q = this.db.selectFrom("lineage_nodes").selectAll();
    if (filter.kind !== undefined) q = q.where("kind", "=", filter.kind);
    if (filter.type !== undefined) q = q.where("type", "=", filter.type);
    if (filter.name !== undefined) q = q.where("name", "=", filter.name);
    if (filter.digest !== undefined) q = q.where("digest", "=", filter.digest);
    const rows = await q
      .orderBy("id", "desc")
      .limit(filter.limit ?? 1000)
      .execute();
    return rows.map(toNode);
  }

  async addEdge(edge: Omit<LineageEdge, "createdAt">) {
    await this.insertEdge(this.db, edge);
  }

  private async insertEdge(db: Kysely<Tables>, edge: Omit<LineageEdge, "createdAt">) {
    await db
      .insertInto("lineage_edges")
      .values({
        type: edge.type,
        from_id: edge.from,
        to_id: edge.to,
        direction: edge.direction ?? "",
        slot: edge.slot ?? "",
        created_at: this.now(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async edgesOf(nodeIds: readonly string[]) {
    if (nodeIds.length === 0) return [];
    const out: LineageEdge[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < nodeIds.length; i += 400) {
      const ids = nodeIds.slice(i, i + 400);
      const rows = await this.db
        .selectFrom("lineage_edges")
        .selectAll()
        .where((eb) => eb.or([eb("from_id", "in", ids), eb("to_id", "in", ids)]))
        .execute();
      for (const r of rows) {
        const k = `${r.type}|${r.from_id}|${r.to_id}|${r.direction}|${r.slot}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(toEdge(r));
      }
    }
    return out;
  }
}
