import {
  type ColumnDefinitionNode,
  DataTypeNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  RawNode,
  type RootOperationNode,
  type UnknownRow,
} from "kysely";

/** String column types: `text`, `varchar`, `varchar(n)`, `char`, `char(n)`. */
const STRING_TYPE = /^(text|varchar|char)(\(\d+\))?$/;

class CodePointCollationTransformer extends OperationNodeTransformer {
  protected override transformColumnDefinition(
    node: ColumnDefinitionNode,
    queryId?: Parameters<OperationNodeTransformer["transformNode"]>[1],
  ): ColumnDefinitionNode {
    const column = super.transformColumnDefinition(node, queryId);
    const type = column.dataType;
    if (!DataTypeNode.is(type) || !STRING_TYPE.test(type.dataType)) return column;
    return { ...column, dataType: RawNode.createWithSql(`${type.dataType} collate "C"`) };
  }
}

/**
 * Every string column created or added (`text`, `varchar(n)`, `char(n)`) gets `COLLATE "C"`: strings
 * compare and sort by code point — the byte order of UTF-8 — whatever the database's default
 * collation, as on SQLite (its `BINARY` collation) and in the memory stores. Without it a database
 * created with a linguistic collation (`en_US.UTF-8`, an ICU locale) would order names, ids and keys
 * differently (`B` before `a`, `_` ignored), and keyset pages over them would not match. Applied to
 * migrations only (see `PostgresSqlDialect.forMigrations`); the columns then carry it for every query.
 */
export class CodePointCollationPlugin implements KyselyPlugin {
  private readonly transformer = new CodePointCollationTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node, args.queryId);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
