import { MlcycleError } from "../core/errors.js";
import type { OfflineRow, OfflineStore } from "../stores/offline-store.js";
import type { ResolvedView } from "./rows.js";
import type { FeatureSource, SourceContext } from "./sources/feature-source.js";
import { SourceRowReader } from "./sources/source-rows.js";

/**
 * The source a view reads its rows from, or undefined for a view whose rows are ingested.
 * `PRECONDITION` when the view has a source this process does not have: a PostgreSQL pool or an
 * iterable given to `applyFeatureView` in another process (or before a restart) — apply the view
 * again with it.
 */
export function sourceOf(view: ResolvedView): FeatureSource | undefined {
  if (!view.sourceSpec) return undefined;
  if (view.source) return view.source;
  throw new MlcycleError(
    "PRECONDITION",
    `view '${view.def.name}' reads from a ${view.sourceSpec.kind} source this process was not given: apply the view here with its source (applyFeatureView({ …, source }))`,
    { details: { view: view.def.name, source: view.sourceSpec.kind } },
  );
}

/** The reader of a view's source rows (see {@link SourceRowReader}). */
export function sourceReader(view: ResolvedView, context: SourceContext): SourceRowReader | undefined {
  const source = sourceOf(view);
  return source ? new SourceRowReader(view, source, context) : undefined;
}

/**
 * A view's rows with event time in (`after`, `until`], in chunks: from its source when it has one
 * (in the source's order), else from the offline store (scan order). Memory holds one chunk.
 */
export async function* viewRows(
  view: ResolvedView,
  context: SourceContext,
  offline: () => OfflineStore,
  window: { after?: number; until?: number; chunkSize?: number; signal?: AbortSignal },
): AsyncIterable<readonly OfflineRow[]> {
  const reader = sourceReader(view, context);
  if (!reader) {
    const scan = offline().scan(view.def.name, {
      ...(window.after !== undefined ? { after: window.after } : {}),
      ...(window.until !== undefined ? { until: window.until } : {}),
      ...(window.chunkSize !== undefined ? { pageSize: window.chunkSize } : {}),
    });
    for await (const page of scan) yield page.rows;
    return;
  }
  const { after, until } = window;
  for await (const { rows } of reader.chunks({
    chunkSize: window.chunkSize ?? 10_000,
    ...(window.signal ? { signal: window.signal } : {}),
  })) {
    yield after === undefined && until === undefined
      ? rows
      : rows.filter(
          (r) => (after === undefined || r.eventTime > after) && (until === undefined || r.eventTime <= until),
        );
  }
}
