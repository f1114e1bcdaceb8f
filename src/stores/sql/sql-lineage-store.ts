import type { Kysely } from "kysely";
import { newId } from "../../core/ids.js";
import type { LineageEdge, LineageNode, LineageNodeInput, LineageNodeKind, LineageStore } from "../lineage-store.js";
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

/** The Kysely {@link LineageStore} (SQLite; PostgreSQL-ready). */
export class SqlLineageStore implements LineageStore {
  private readonly db: Kysely<Tables>;

  constructor(
    readonly database: SqlDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.db = database.db as Kysely<Tables>;
  }

  async putNode(input: LineageNodeInput): Promise<LineageNode> {
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      const existing = input.externalId
        ? await db
            .selectFrom("lineage_nodes")
            .selectAll()
            .where("kind", "=", input.kind)
            .where("external_id", "=", input.externalId)
            .executeTakeFirst()
        : undefined;
      if (existing) {
        const props = { ...JSON.parse(existing.properties), ...(input.properties ?? {}) };
        const row: NodeRow = {
          ...existing,
          type: input.type,
          name: input.name,
          digest: input.digest ?? existing.digest,
          uri: input.uri ?? existing.uri,
          properties: JSON.stringify(props),
        };
        await db
          .updateTable("lineage_nodes")
          .set({ type: row.type, name: row.name, digest: row.digest, uri: row.uri, properties: row.properties })
          .where("id", "=", existing.id)
          .execute();
        return toNode(row);
      }
      const row: NodeRow = {
        id: newId(),
        kind: input.kind,
        type: input.type,
        name: input.name,
        external_id: input.externalId ?? null,
        digest: input.digest ?? null,
        uri: input.uri ?? null,
        properties: JSON.stringify(input.properties ?? {}),
        created_at: this.now(),
      };
      await db.insertInto("lineage_nodes").values(row).execute();
      return toNode(row);
    });
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
    await this.db
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
