import { type Expression, type SelectQueryBuilder, sql } from "kysely";
import { invalid } from "../../core/errors.js";
import type { RunQuery, StoredRun } from "../tracking-store.js";
import type { SqlDatabase } from "./sql-database.js";
import { compileRunFilter, compileRunOrder } from "./sql-run-filter.js";
import { RUN_COLUMNS, type RunRow, toRun } from "./sql-tracking-tables.js";

/** A JSON object aggregated by the database (text on SQLite, parsed already by some drivers). */
const parseJsonObject = (v: unknown): Record<string, unknown> =>
  v === null || v === undefined ? {} : typeof v === "string" ? JSON.parse(v) : (v as Record<string, unknown>);

/** A metric value from aggregated JSON: null is NaN; SQLite writes ±Infinity as ±9e999, PostgreSQL as text. */
const jsonMetric = (v: unknown): number => (v === null ? Number.NaN : typeof v === "number" ? v : Number(v));

/**
 * The runs a {@link RunQuery} selects, in its order, with their params, tags and latest metrics:
 * the search of the Kysely tracking store.
 */
export async function searchRuns(database: SqlDatabase, query: RunQuery): Promise<StoredRun[]> {
  const db = database.db;
  const { joins, keys } = compileRunOrder(query.orderBy, query.crashedBefore);
  const dir = (k: { descending: boolean }) => sql.raw(k.descending ? "desc" : "asc");
  // The page is chosen on ids and sort keys alone; params, tags and latest metrics are then
  // aggregated for the page's runs only, in the same statement, re-sorted on the page's keys.
  let page = db.selectFrom("tracking_runs as r").select(["r.id", ...keys.map((k, i) => k.expr.as(`k${i}`))]);
  for (const j of joins)
    page = page.leftJoin(`${j.table} as ${j.alias}`, (join) =>
      join.onRef(`${j.alias}.run_id`, "=", "r.id").on(`${j.alias}.key`, "=", j.key),
    );
  if (query.experimentIds.length)
    page = page.where(database.dialect.inList(sql.ref("r.experiment_id"), query.experimentIds, false));
  const lifecycle = query.lifecycle ?? "active";
  if (lifecycle !== "all") page = page.where("r.lifecycle", "=", lifecycle);
  if (query.filter) page = page.where(compileRunFilter(query.filter, database.dialect, query.crashedBefore));
  for (const k of keys) page = page.orderBy(sql`${k.expr} ${dir(k)}`);
  const bound = page.compile().parameters.length;
  if (bound > database.dialect.maxBoundParameters)
    throw invalid(
      ["filter"],
      `this run search needs ${bound} bound parameters and the ${database.dialect.name} database takes at most ${database.dialect.maxBoundParameters} in one statement: use fewer conditions or order terms, or split the search`,
      "too_big",
    );
  let from = db
    .selectFrom(page.limit(query.limit).offset(query.offset).as("page"))
    .innerJoin("tracking_runs as r", "r.id", "page.id");
  keys.forEach((k, i) => {
    from = from.orderBy(sql`${sql.ref(`page.k${i}`)} ${dir(k)}`);
  });
  return runsWithDetails(database, from);
}

/**
 * Selects the run columns of `r` with its params, tags and latest metrics aggregated to JSON in
 * the database (far fewer rows to materialise than one per key), and maps the rows.
 */
export async function runsWithDetails(
  database: SqlDatabase,
  from: SelectQueryBuilder<any, any, any>,
): Promise<StoredRun[]> {
  const dialect = database.dialect;
  /** One run's rows of `table` as a JSON object of key → `value` (only the rows flagged -0 when `negativeZeros`). */
  const agg = (table: string, value: Expression<unknown> = sql.ref("x.value"), negativeZeros = false) =>
    sql<
      string | null
    >`(select ${dialect.jsonObjectAgg(sql.ref("x.key"), value)} from ${sql.table(table)} as x where x.run_id = ${sql.ref("r.id")}${negativeZeros ? sql` and x.negative_zero = 1` : sql``})`;
  // A latest metric of -0 is stored as 0 with a flag (see tracking-negative-zero.ts). Where the
  // dialect can put the sign back in the value, one aggregate reads the metrics; else the flagged
  // keys are aggregated apart.
  const signed = dialect.signedZeroMetric(sql.ref("x.value"), sql.ref("x.negative_zero"));
  const rows = (await from
    .select([
      ...RUN_COLUMNS,
      agg("tracking_params").as("params_json"),
      agg("tracking_tags").as("tags_json"),
      agg("tracking_latest_metrics", signed).as("metrics_json"),
      ...(signed ? [] : [agg("tracking_latest_metrics", sql.ref("x.negative_zero"), true).as("negative_zero_json")]),
    ])
    .execute()) as Array<
    RunRow & { params_json: unknown; tags_json: unknown; metrics_json: unknown; negative_zero_json?: unknown }
  >;
  return rows.map((r) => {
    const metrics = metricsOf(parseJsonObject(r.metrics_json));
    if (r.negative_zero_json != null)
      for (const k of Object.keys(parseJsonObject(r.negative_zero_json))) metrics[k] = -0;
    const run = toRun(r) as StoredRun;
    run.params = parseJsonObject(r.params_json) as Record<string, string>;
    run.tags = parseJsonObject(r.tags_json) as Record<string, string>;
    run.metrics = metrics;
    return run;
  });
}

/** The latest metrics of a run from its aggregated JSON: the parsed object itself when every value is a number. */
function metricsOf(parsed: Record<string, unknown>): Record<string, number> {
  let numbers = true;
  for (const k in parsed)
    if (typeof parsed[k] !== "number") {
      numbers = false;
      break;
    }
  if (numbers) return parsed as Record<string, number>;
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) metrics[k] = jsonMetric(v);
  return metrics;
}
