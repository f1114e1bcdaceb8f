import type { LoggedPrediction } from "../stores/prediction-log-store.js";
import type { MonitorConfig } from "./monitor-settings.js";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The rows of a logged prediction, as a monitor's default reads them (or `undefined` when the
 * payload is not one it can read — give the monitor `toRows` then):
 *
 * - **inputs**: an array of rows — objects (members by name) or arrays (values by the position of
 *   the monitor's features) or single values (the first feature) — or one object (one row);
 * - **outputs**: an array with one item per row — a value (the first prediction column), an array
 *   (by the position of the prediction columns) or an object (by name) — or an object of arrays
 *   (`{ label: [...], probability: [...] }`, by name), or one value for a one-row call;
 * - **label**: the feedback's label (else its outcome): an array with one item per row, or one
 *   value for every row.
 */
export function defaultPredictionRows(
  p: LoggedPrediction,
  config: MonitorConfig,
): Array<Record<string, unknown>> | undefined {
  const features = config.columns.filter((c) => c.role === "feature").map((c) => c.name);
  const outputs = config.columns.filter((c) => c.role === "prediction" || c.role === "probability").map((c) => c.name);
  const labelColumn = config.columns.find((c) => c.role === "label")?.name;
  let rows: Array<Record<string, unknown>>;
  const inputs = p.inputs;
  if (Array.isArray(inputs)) {
    rows = inputs.map((r) => {
      if (isPlainObject(r)) return { ...r };
      if (Array.isArray(r)) return Object.fromEntries(features.map((f, i) => [f, r[i]]));
      return features.length ? { [features[0]]: r } : {};
    });
  } else if (isPlainObject(inputs) && !Object.values(inputs).some(Array.isArray)) rows = [{ ...inputs }];
  else return undefined;
  const out = p.outputs;
  const n = rows.length;
  if (Array.isArray(out) && out.length === n) {
    out.forEach((o, i) => {
      if (isPlainObject(o)) for (const name of outputs) rows[i][name] = o[name];
      else if (Array.isArray(o)) for (let j = 0; j < outputs.length; j++) rows[i][outputs[j]] = o[j];
      else if (outputs.length) rows[i][outputs[0]] = o;
    });
  } else if (isPlainObject(out)) {
    for (const name of outputs) {
      const v = out[name];
      if (Array.isArray(v) && v.length === n) for (let i = 0; i < n; i++) rows[i][name] = v[i];
      else if (n === 1 && v !== undefined) rows[0][name] = v;
    }
  } else if (n === 1 && out !== undefined && !Array.isArray(out) && outputs.length) rows[0][outputs[0]] = out;
  if (labelColumn && p.feedback) {
    const label = p.feedback.label !== undefined ? p.feedback.label : p.feedback.outcome;
    if (Array.isArray(label) && label.length === n) for (let i = 0; i < n; i++) rows[i][labelColumn] = label[i];
    else if (label !== undefined && !Array.isArray(label)) for (const r of rows) r[labelColumn] = label;
  }
  return rows;
}
