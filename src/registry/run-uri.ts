import { invalid } from "../core/errors.js";
import { checkKey } from "../core/validation.js";
import { checkArtifactPath } from "../tracking/index.js";

const PREFIX = "runs:/";

/** A tracking run's artifact: the run and the run-relative path. */
export interface RunArtifactRef {
  runId: string;
  path: string;
}

/** True when `value` is an MLflow-style run artifact URI (`runs:/<run-id>/<artifact-path>`). */
export function isRunUri(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(PREFIX);
}

/**
 * Parses `runs:/<run-id>/<artifact-path>`, MLflow's name for an artifact logged in a run;
 * `VALIDATION` naming what is wrong when the run id or the path is missing or malformed.
 *
 * @example
 * ```ts
 * parseRunUri("runs:/01J0Z3K6N8Q3V5W7Y9A1B3C5D7/model/model.onnx");
 * // { runId: "01J0Z3K6N8Q3V5W7Y9A1B3C5D7", path: "model/model.onnx" }
 * ```
 */
export function parseRunUri(uri: string): RunArtifactRef {
  if (!isRunUri(uri)) throw invalid(["source"], `'${String(uri).slice(0, 200)}' is not a runs:/<run-id>/<path> URI`);
  const rest = uri.slice(PREFIX.length);
  const slash = rest.indexOf("/");
  if (slash <= 0 || slash === rest.length - 1)
    throw invalid(
      ["source"],
      `'${uri.slice(0, 200)}' needs a run id and an artifact path: runs:/<run-id>/<artifact-path>`,
    );
  const runId = checkKey("source run id", rest.slice(0, slash));
  const path = checkArtifactPath(rest.slice(slash + 1), "source artifact path");
  return { runId, path };
}
