import { MlcycleError } from "../core/errors.js";
import type { OfflineStore } from "../stores/offline-store.js";
import { checkLookupName, parseOptions, viewStatisticsOptionsSchema } from "./feature-arguments.js";
import type { ViewStatisticsOptions } from "./feature-types.js";
import type { ResolvedView } from "./rows.js";
import type { SourceContext } from "./sources/feature-source.js";
import { viewRows } from "./view-rows.js";
import { type FeatureViewStatistics, StatisticsAccumulator } from "./statistics.js";
import { toEpochMs } from "./timestamps.js";

/** What {@link viewStatistics} reads through: the feature store's view resolver, offline store and clock. */
export interface ViewStatisticsSources {
  resolveView: (name: string) => Promise<ResolvedView>;
  /** Read after the view is resolved, so an unknown view is `NOT_FOUND` before a missing store. */
  offline: () => OfflineStore;
  /** What a view with a source reads it through. */
  context: () => SourceContext;
  now: () => number;
}

/**
 * The statistics of a view's offline rows (its source's, when it has one) in the window (`since`, `until`], in one streaming pass
 * with bounded memory (what {@link FeatureStore.statistics} returns). Options out of range, or
 * `since` after `until`, are `VALIDATION` naming the option.
 */
export async function viewStatistics(
  view: string,
  options: ViewStatisticsOptions,
  sources: ViewStatisticsSources,
): Promise<FeatureViewStatistics> {
  checkLookupName("view", view);
  const checked = parseOptions(viewStatisticsOptionsSchema, options, "statistics options");
  const since = checked.since !== undefined ? toEpochMs(checked.since, ["since"]) : undefined;
  const until = checked.until !== undefined ? toEpochMs(checked.until, ["until"]) : undefined;
  if (since !== undefined && until !== undefined && since > until)
    throw new MlcycleError("VALIDATION", "since: the window (since, until] is empty: since is after until", {
      issues: [{ code: "too_big", path: ["since"], message: "must not be after until", maximum: until }],
      details: { since, until },
    });
  const resolved = await sources.resolveView(view);
  const acc = new StatisticsAccumulator(resolved.featureNames, checked);
  const rows = viewRows(resolved, sources.context(), sources.offline, {
    ...(since !== undefined ? { after: since } : {}),
    ...(until !== undefined ? { until } : {}),
  });
  for await (const chunk of rows) for (const r of chunk) acc.add(r.values, r.eventTime);
  return acc.result(resolved.def.name, resolved.def.version, sources.now());
}
