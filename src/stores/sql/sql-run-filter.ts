import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { FilterNode, RunAttribute, RunField, RunOrder } from "../tracking-store.js";
import { invalid } from "../../core/errors.js";
import type { SqlDialect } from "./sql-dialect.js";

/**
 * Compiles the run filter AST to parameterised SQL over `tracking_runs as r`: every user value is a
 * bound parameter; identifiers come from a fixed list. Semantics match the memory store's evaluator:
 * params and tags compare as strings, metrics on their latest value (NULL stores NaN), a run lacking a
 * field never matches a comparison on it.
 */

const FIELD_TABLE = {
  metric: "tracking_latest_metrics",
  param: "tracking_params",
  tag: "tracking_tags",
} as const;

/** The SQL expression of a run attribute (`status` reads `crashed` for expired running runs). */
export function attributeExpr(attr: RunAttribute, crashedBefore: number): RawBuilder<unknown> {
  switch (attr) {
    case "run_id":
      return sql.ref("r.id");
    case "run_name":
      return sql.ref("r.name");
    case "status":
      return sql`(case when ${sql.ref("r.status")} = 'running' and ${sql.ref("r.heartbeat_at")} < ${crashedBefore} then 'crashed' else ${sql.ref("r.status")} end)`;
    case "start_time":
      return sql.ref("r.start_time");
    case "end_time":
      return sql.ref("r.end_time");
    case "experiment_id":
      return sql.ref("r.experiment_id");
    case "parent_run_id":
      return sql.ref("r.parent_run_id");
  }
}

type LikePart = { wild: "%" | "_" } | { literal: string };

/** Splits a LIKE pattern (`%`, `_`, `\` escape) into wildcards and literal characters. */
function likeParts(pattern: string): LikePart[] {
  const parts: LikePart[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) parts.push({ literal: pattern[++i] });
    else if (c === "%" || c === "_") parts.push({ wild: c });
    else parts.push({ literal: c });
  }
  return parts;
}

/** The pattern for `LIKE … ESCAPE '\'`. */
function likePattern(parts: LikePart[]): string {
  return parts
    .map((p) =>
      "wild" in p
        ? p.wild
        : p.literal === "%" || p.literal === "_" || p.literal === "\\"
          ? `\\${p.literal}`
          : p.literal,
    )
    .join("");
}

function likeExpr(
  target: RawBuilder<unknown>,
  pattern: string,
  caseInsensitive: boolean,
  dialect: SqlDialect,
): RawBuilder<unknown> {
  return dialect.like(target, likePattern(likeParts(pattern)), caseInsensitive);
}

const FALSE = sql`(1 = 0)`;

/** A numeric comparison honouring the NaN-as-NULL representation. */
function numericCompare(target: RawBuilder<unknown>, op: string, value: number): RawBuilder<unknown> {
  if (Number.isNaN(value)) {
    if (op === "=") return sql`${target} is null`;
    if (op === "!=") return sql`${target} is not null`;
    return FALSE;
  }
  if (op === "!=") return sql`(${target} is null or ${target} <> ${value})`;
  return sql`${target} ${sql.raw(op)} ${value}`;
}

function numericIn(target: RawBuilder<unknown>, values: Array<string | number>, negated: boolean, dialect: SqlDialect) {
  const nums = values.filter((v): v is number => typeof v === "number" && !Number.isNaN(v));
  const hasNaN = values.some((v) => typeof v === "number" && Number.isNaN(v));
  const inList = nums.length ? dialect.inList(target, nums, false) : FALSE;
  if (!negated) return hasNaN ? sql`(${target} is null or ${inList})` : inList;
  const notNaN = nums.length ? dialect.inList(target, nums, true) : sql`(1 = 1)`;
  return hasNaN ? sql`(${target} is not null and ${notNaN})` : sql`(${target} is null or ${notNaN})`;
}

/** The condition on one field value expression. `target` is never NULL except for NaN metrics and absent attributes. */
function condition(
  node: Exclude<FilterNode, { type: "and" | "or" | "null" }>,
  target: RawBuilder<unknown>,
  numeric: boolean,
  dialect: SqlDialect,
): RawBuilder<unknown> {
  switch (node.type) {
    case "compare":
      if (numeric && typeof node.value === "number") return numericCompare(target, node.op, node.value);
      return sql`${target} ${sql.raw(node.op === "!=" ? "<>" : node.op)} ${node.value}`;
    case "in":
      if (numeric) return numericIn(target, node.values, node.negated, dialect);
      if (node.values.length === 0) return node.negated ? sql`(1 = 1)` : FALSE;
      return dialect.inList(target, node.values, node.negated);
    case "like": {
      const e = likeExpr(target, node.pattern, node.caseInsensitive, dialect);
      return node.negated ? sql`not (${e})` : e;
    }
  }
}

/**
 * Compiles a filter to a boolean SQL expression over `tracking_runs as r`.
 *
 * @example
 * ```ts
 * query.where(compileRunFilter(ast, database.dialect, Date.now() - 60_000));
 * ```
 */
export function compileRunFilter(node: FilterNode, dialect: SqlDialect, crashedBefore: number): RawBuilder<SqlBool> {
  const go = (n: FilterNode): RawBuilder<unknown> => {
    if (n.type === "and" || n.type === "or")
      return sql`(${sql.join(n.children.map(go), sql.raw(n.type === "and" ? " and " : " or "))})`;
    const f = n.field;
    if (n.type === "null") {
      if (f.kind === "attribute") {
        const e = attributeExpr(f.key as RunAttribute, crashedBefore);
        return n.negated ? sql`(${e} is not null)` : sql`(${e} is null)`;
      }
      if (f.kind === "dataset") throw invalid(["filter"], "IS NULL does not apply to dataset fields");
      // Absence of the key's row, not a NULL value: a NaN metric is stored as NULL yet is present.
      const keyed = sql`select f.run_id from ${sql.table(FIELD_TABLE[f.kind])} as f where f.key = ${f.key}`;
      return n.negated ? sql`${sql.ref("r.id")} in (${keyed})` : sql`${sql.ref("r.id")} not in (${keyed})`;
    }
    if (f.kind === "attribute") {
      const numeric = f.key === "start_time" || f.key === "end_time";
      // NULL attributes (no end time, no parent) never match, as in the memory store.
      return sql`(${attributeExpr(f.key as RunAttribute, crashedBefore)} is not null and ${condition(n, attributeExpr(f.key as RunAttribute, crashedBefore), numeric, dialect)})`;
    }
    if (f.kind === "dataset") {
      const column = { name: "name", digest: "digest", context: "context" }[f.key as "name" | "digest" | "context"];
      return sql`${sql.ref("r.id")} in (select f.run_id from ${sql.table("tracking_inputs")} as f where ${condition(n, sql.ref(`f.${column}`), false, dialect)})`;
    }
    const table = sql.table(FIELD_TABLE[f.kind]);
    const value = sql.ref("f.value");
    // An uncorrelated IN lets the planner range-scan the (key, value) index once instead of probing per run.
    return sql`${sql.ref("r.id")} in (select f.run_id from ${table} as f where f.key = ${f.key} and ${condition(n, value, f.kind === "metric", dialect)})`;
  };
  return go(node) as RawBuilder<SqlBool>;
}

/** A join needed to order by a metric, param or tag. */
export interface OrderJoin {
  alias: string;
  table: string;
  key: string;
}

/** One sort key of a run query: an expression and its direction. */
export interface OrderKey {
  expr: RawBuilder<unknown>;
  descending: boolean;
}

/**
 * The joins and sort keys of a run query: present values first, then NaN (metrics), then runs
 * lacking the field; ties by start time descending, then run id ascending (as MLflow).
 */
export function compileRunOrder(
  order: readonly RunOrder[],
  crashedBefore: number,
): { joins: OrderJoin[]; keys: OrderKey[] } {
  const joins: OrderJoin[] = [];
  const keys: OrderKey[] = [];
  const missingLast = (e: RawBuilder<unknown>) =>
    keys.push({ expr: sql`(case when ${e} is null then 1 else 0 end)`, descending: false });
  order.forEach((o, i) => {
    const f: RunField = o.field;
    if (f.kind === "attribute") {
      const e = attributeExpr(f.key as RunAttribute, crashedBefore);
      missingLast(e);
      keys.push({ expr: e, descending: o.descending });
      return;
    }
    if (f.kind === "dataset") throw invalid(["orderBy", i], "runs cannot be ordered by dataset fields");
    const alias = `o${i}`;
    joins.push({ alias, table: FIELD_TABLE[f.kind], key: f.key });
    missingLast(sql.ref(`${alias}.run_id`));
    if (f.kind === "metric") missingLast(sql.ref(`${alias}.value`));
    keys.push({ expr: sql.ref(`${alias}.value`), descending: o.descending });
  });
  keys.push({ expr: sql.ref("r.start_time"), descending: true }, { expr: sql.ref("r.id"), descending: false });
  return { joins, keys };
}
