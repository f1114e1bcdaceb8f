import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RawNode,
  type RootOperationNode,
  TableNode,
  type UnknownRow,
  WithSchemaPlugin,
} from "kysely";
import { invalid } from "../../core/errors.js";

/** The schema a PostgreSQL store keeps its tables in when given none. */
export const DEFAULT_POSTGRES_SCHEMA = "public";

/**
 * Checks a schema name as the PostgreSQL adapter takes it: a letter or `_`, then letters, digits
 * or `_`, at most 63 bytes (PostgreSQL's identifier length), and not starting with `pg_` (reserved
 * for the system). Anything else is `VALIDATION` at `schema`. The name is always quoted in SQL, so
 * its case is kept.
 *
 * @example
 * ```ts
 * checkSchemaName("mlcycle"); // fine
 * checkSchemaName("my-schema"); // throws VALIDATION
 * ```
 */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema))
    throw invalid(["schema"], "must be an identifier: a letter or '_', then letters, digits or '_'");
  if (schema.length > 63) throw invalid(["schema"], "must be at most 63 characters (PostgreSQL's limit)", "too_big");
  if (/^pg_/i.test(schema)) throw invalid(["schema"], "must not start with 'pg_' (reserved by PostgreSQL)");
  return schema;
}

/**
 * Puts a table named in raw SQL (`sql.table("t")`, a table node directly inside a raw fragment, as
 * the SQL stores write sub-selects) in the schema. Kysely's {@link WithSchemaPlugin} qualifies the
 * tables of a query's `from`, `into`, joins and so on, and the references to them, but not a table
 * in raw SQL, since it cannot tell a table there from an alias.
 */
class RawTableTransformer extends OperationNodeTransformer {
  constructor(private readonly schema: string) {
    super();
  }

  protected override transformRaw(node: RawNode, queryId?: Parameters<OperationNodeTransformer["transformNode"]>[1]) {
    const raw = super.transformRaw(node, queryId);
    return {
      ...raw,
      parameters: raw.parameters.map((p) =>
        TableNode.is(p) && !p.table.schema ? TableNode.createWithSchema(this.schema, p.table.identifier.name) : p,
      ),
    };
  }
}

/**
 * Every table of every query in one schema: Kysely's {@link WithSchemaPlugin} for the tables a
 * query builder names, and tables named with `sql.table()` inside raw SQL too. No session setting
 * (`search_path`) is changed, so a pool shared with other code, or with stores of other schemas,
 * stays as it was.
 */
export class PostgresSchemaPlugin implements KyselyPlugin {
  private readonly raw: RawTableTransformer;
  private readonly builder: WithSchemaPlugin;

  constructor(readonly schema: string) {
    this.raw = new RawTableTransformer(schema);
    this.builder = new WithSchemaPlugin(schema);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = this.raw.transformNode(args.node, args.queryId);
    return this.builder.transformQuery({ ...args, node });
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
