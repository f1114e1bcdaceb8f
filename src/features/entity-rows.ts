import { invalid } from "../core/errors.js";
import type { JoinKey } from "../stores/feature-registry-store.js";
import { chunked, type RowSource } from "./rows.js";
import { type FeatureSource, isFeatureSource, type SourceContext } from "./sources/feature-source.js";
import { checkEntityColumns, columnsOfRows } from "./sources/source-check.js";
import { joinKeyValue, plainValue, sourceTime } from "./sources/source-values.js";

/** Entity rows: given in JavaScript, or read from a source (a file, a query) — Feast's entity dataframe or SQL entity query. */
export type EntityRowsInput = RowSource<Record<string, unknown>> | FeatureSource;

/** The field of the entity rows with their time: the source's (under its mapped name), else the option's. */
export function entityTimeField(entityRows: EntityRowsInput, option: string | undefined): string {
  if (isFeatureSource(entityRows)) {
    const name = entityRows.nameOf(entityRows.timestampField);
    if (option !== undefined && option !== name)
      throw invalid(
        ["timestampField"],
        `the entity rows come from a source whose time is '${entityRows.timestampField}' (as '${name}'): set it there`,
      );
    return name;
  }
  return option ?? "event_timestamp";
}

/**
 * Entity rows in chunks of at most `size`. Rows from a source are checked first (every join key of
 * the selection and the time column must be there, of a fitting type), then each row carries every
 * column under its mapped name, the time as epoch ms, integer join keys as numbers, bigints as
 * numbers and dates as epoch ms.
 */
export async function* entityRowChunks(
  entityRows: EntityRowsInput,
  joinKeys: readonly JoinKey[],
  context: SourceContext,
  size: number,
  signal?: AbortSignal,
): AsyncIterable<Array<Record<string, unknown>>> {
  if (!isFeatureSource(entityRows)) {
    yield* chunked(entityRows, size);
    return;
  }
  const source = entityRows;
  let checked = false;
  const columns = await source.columns(context, signal);
  if (columns) {
    checkEntityColumns(source, joinKeys, columns);
    checked = true;
  }
  const keyTypes = new Map(joinKeys.map((k) => [k.name, k.type] as const));
  const timeName = source.nameOf(source.timestampField);
  let position = 0;
  for await (const chunk of source.read(context, { chunkSize: size, ...(signal ? { signal } : {}) })) {
    if (!checked) {
      checkEntityColumns(source, joinKeys, columnsOfRows(chunk));
      checked = true;
    }
    const out = new Array<Record<string, unknown>>(chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      const raw = chunk[i];
      const row: Record<string, unknown> = {};
      for (const column in raw) {
        const name = source.nameOf(column);
        const type = keyTypes.get(name);
        row[name] =
          column === source.timestampField
            ? sourceTime(raw[column], ["entityRows", position + i, column])
            : type
              ? joinKeyValue(raw[column], type)
              : plainValue(raw[column]);
      }
      if (!(timeName in row))
        row[timeName] = sourceTime(raw[source.timestampField], ["entityRows", position + i, source.timestampField]);
      out[i] = row;
    }
    position += chunk.length;
    yield out;
  }
}
