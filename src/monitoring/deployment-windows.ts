import { encodePredictionPageToken } from "../stores/prediction-log-rules.js";
import type { LoggedPrediction, PredictionLogStore } from "../stores/prediction-log-store.js";
import type { MonitorModelRef } from "../stores/monitor-store.js";
import type { MonitorConfig } from "./monitor-settings.js";
import { defaultPredictionRows } from "./prediction-rows.js";
import { rowHash } from "./row-hash.js";
import { type ReferenceContext, WindowAggregate } from "./window-aggregate.js";

/** A position in a prediction log: after the prediction (at, id). */
export interface LogCursor {
  at: number;
  id: string;
}

/** What reading a deployment window gives. */
export interface DeploymentWindowRead {
  aggregate: WindowAggregate;
  /** The model version that answered the last call read. */
  lastModel?: MonitorModelRef;
  /** The last call read. */
  last?: LogCursor;
  /** Calls whose inputs and outputs were not kept (sampling, size cap), and calls whose payload could not be read as rows. */
  notKept: number;
  unreadable: number;
  /** Count windows: whether `maxRows` rows were reached. */
  complete: boolean;
}

/** What {@link readDeploymentWindow} reads. */
export interface DeploymentWindowQuery {
  predictions: PredictionLogStore;
  deployment: string;
  config: MonitorConfig;
  reference: ReferenceContext;
  toRows?: (p: LoggedPrediction) => Array<Record<string, unknown>>;
  /** Calls answered at or after (ms). */
  from?: number;
  /** Calls answered before (ms). */
  to: number;
  /** Calls after this one (count windows go on from where the last window stopped). */
  after?: LogCursor;
  /** Count windows: stop at the first call that brings the rows to at least this many. */
  maxRows?: number;
}

const PAGE = 1_000;

/**
 * Reads one window of a deployment's prediction log (its feedback included) into an aggregate, a
 * page at a time: every call counts for latency and throughput; calls whose payload was kept give
 * rows (the monitor's `toRows`, else {@link defaultPredictionRows}), each hashed by its time,
 * position and values so that any process reading the same log samples the same rows.
 */
export async function readDeploymentWindow(q: DeploymentWindowQuery): Promise<DeploymentWindowRead> {
  const aggregate = new WindowAggregate(q.config, q.reference);
  const out: DeploymentWindowRead = { aggregate, notKept: 0, unreadable: 0, complete: false };
  const names = q.config.columns.map((c) => c.name);
  let pageToken = q.after ? encodePredictionPageToken(q.after.at, q.after.id) : undefined;
  for (;;) {
    const page = await q.predictions.listPredictions({
      deployment: q.deployment,
      ...(q.from !== undefined ? { from: q.from } : {}),
      to: q.to,
      limit: PAGE,
      ...(pageToken ? { pageToken } : {}),
    });
    for (const p of page.predictions) {
      aggregate.addCall(rowHash(p.id), p.latencyMs);
      out.last = { at: p.at, id: p.id };
      out.lastModel = { model: p.model, version: p.version, versionId: p.versionId };
      if (p.payload !== "full") out.notKept++;
      else {
        let rows: Array<Record<string, unknown>> | undefined;
        try {
          rows = q.toRows ? q.toRows(p) : defaultPredictionRows(p, q.config);
        } catch {
          rows = undefined;
        }
        if (!Array.isArray(rows)) out.unreadable++;
        else
          for (let i = 0; i < rows.length; i++) {
            const r = rows[i] ?? {};
            const values = names.map((n) => r[n]);
            // By time, position and content (not by the random prediction id): the same rows are
            // sampled by every process and on every run of the same traffic.
            aggregate.addRow(values, rowHash(`${p.at}/${i}/${JSON.stringify(values)}`), p.at);
          }
      }
      if (q.maxRows !== undefined && aggregate.rows >= q.maxRows) {
        out.complete = true;
        return out;
      }
    }
    if (!page.nextPageToken) return out;
    pageToken = page.nextPageToken;
  }
}

/** The rows of every call of a deployment answered in [from, to) whose payload was kept (read into memory). */
export async function readLogRows(
  predictions: PredictionLogStore,
  deployment: string,
  from: number | undefined,
  to: number | undefined,
  toRows: (p: LoggedPrediction) => Array<Record<string, unknown>> | undefined,
): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  let pageToken: string | undefined;
  for (;;) {
    const page = await predictions.listPredictions({
      deployment,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      limit: PAGE,
      ...(pageToken ? { pageToken } : {}),
    });
    for (const p of page.predictions) {
      if (p.payload !== "full") continue;
      const got = toRows(p);
      if (got) rows.push(...got);
    }
    if (!page.nextPageToken) return rows;
    pageToken = page.nextPageToken;
  }
}
