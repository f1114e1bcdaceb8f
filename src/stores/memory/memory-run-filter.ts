import { invalid } from "../../core/errors.js";
import type { FilterNode, RunField, RunOrder, StoredRun } from "../tracking-store.js";

/** A run as the evaluator sees it: stored columns plus the status as read at query time. */
export interface EvaluatedRun extends StoredRun {
  /** `crashed` for an expired running run, else the stored status. */
  effectiveStatus: string;
  /** The run's dataset inputs (for `datasets.` fields). */
  inputs: ReadonlyArray<{ name: string; digest: string; context?: string }>;
}

/** A field's value on a run: number, string, or undefined when the run lacks it. */
export function fieldValue(run: EvaluatedRun, field: RunField): string | number | undefined {
  switch (field.kind) {
    case "metric":
      return Object.hasOwn(run.metrics, field.key) ? run.metrics[field.key] : undefined;
    case "param":
      return Object.hasOwn(run.params, field.key) ? run.params[field.key] : undefined;
    case "tag":
      return Object.hasOwn(run.tags, field.key) ? run.tags[field.key] : undefined;
    case "dataset":
      // Several values per run: evaluated by `matchesFilter` input by input.
      return undefined;
    case "attribute":
      switch (field.key) {
        case "run_id":
          return run.id;
        case "run_name":
          return run.name;
        case "status":
          return run.effectiveStatus;
        case "start_time":
          return run.startTime;
        case "end_time":
          return run.endTime;
        case "experiment_id":
          return run.experimentId;
        case "parent_run_id":
          return run.parentRunId;
      }
  }
  return undefined;
}

/** `LIKE` pattern → anchored regex: `%` any run, `_` one character, `\` escapes the next. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) {
      out += escapeRe(pattern[++i]);
    } else if (c === "%") out += "[\\s\\S]*";
    else if (c === "_") out += "[\\s\\S]";
    else out += escapeRe(c);
  }
  return new RegExp(`^${out}$`, caseInsensitive ? "i" : "");
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

function compare(a: string | number, op: string, b: string | number): boolean {
  if (typeof a === "number" && typeof b === "number" && (Number.isNaN(a) || Number.isNaN(b))) {
    // NaN equals NaN here (SQL stores NaN as one marker); ordering comparisons with NaN are false.
    const both = Number.isNaN(a) && Number.isNaN(b);
    if (op === "=") return both;
    if (op === "!=") return !both;
    return false;
  }
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
  }
  return false;
}

const sameValue = (a: string | number, b: string | number) =>
  a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b));

/** Evaluates a filter AST on one run: the memory store's reading of the filter semantics. */
export function matchesFilter(run: EvaluatedRun, node: FilterNode, cache = new Map<string, RegExp>()): boolean {
  if (node.type !== "and" && node.type !== "or" && node.field.kind === "dataset") {
    const key = node.field.key as "name" | "digest" | "context";
    // Any input matching the condition makes the run match.
    return run.inputs.some((i) => matchesValue(i[key] ?? "", node, cache));
  }
  switch (node.type) {
    case "and":
      return node.children.every((c) => matchesFilter(run, c, cache));
    case "or":
      return node.children.some((c) => matchesFilter(run, c, cache));
    case "compare": {
      const v = fieldValue(run, node.field);
      return v !== undefined && compare(v, node.op, node.value);
    }
    case "in": {
      const v = fieldValue(run, node.field);
      if (v === undefined) return false;
      const found = node.values.some((x) => sameValue(v, x));
      return node.negated ? !found : found;
    }
    case "null": {
      const missing = fieldValue(run, node.field) === undefined;
      return node.negated ? !missing : missing;
    }
    case "like": {
      const v = fieldValue(run, node.field);
      if (v === undefined) return false;
      const k = `${node.caseInsensitive ? "i" : "s"}${node.pattern}`;
      let re = cache.get(k);
      if (!re) cache.set(k, (re = likeToRegExp(node.pattern, node.caseInsensitive)));
      const hit = re.test(String(v));
      return node.negated ? !hit : hit;
    }
  }
}

function matchesValue(v: string, node: Exclude<FilterNode, { type: "and" | "or" }>, cache: Map<string, RegExp>) {
  switch (node.type) {
    case "null":
      throw invalid(["filter"], "IS NULL does not apply to dataset fields");
    case "compare":
      return compare(v, node.op, node.value);
    case "in": {
      const found = node.values.some((x) => x === v);
      return node.negated ? !found : found;
    }
    case "like": {
      const k = `${node.caseInsensitive ? "i" : "s"}${node.pattern}`;
      let re = cache.get(k);
      if (!re) cache.set(k, (re = likeToRegExp(node.pattern, node.caseInsensitive)));
      return node.negated ? !re.test(v) : re.test(v);
    }
  }
}

/** Rank of a value for ordering: present values first, then NaN, then missing. */
const rank = (v: string | number | undefined) =>
  v === undefined ? 2 : typeof v === "number" && Number.isNaN(v) ? 1 : 0;

/**
 * Compares two runs by order terms, then start time descending, then id ascending (MLflow's tie-break,
 * so pages over equal keys are deterministic). Runs lacking a field sort last (after NaN values)
 * whatever the direction.
 */
export function compareRuns(a: EvaluatedRun, b: EvaluatedRun, order: readonly RunOrder[]): number {
  for (const o of order) {
    const va = fieldValue(a, o.field);
    const vb = fieldValue(b, o.field);
    const ra = rank(va);
    const rb = rank(vb);
    if (ra !== rb) return ra - rb;
    if (ra !== 0) continue;
    if (va === vb) continue;
    const lt = (va as string | number) < (vb as string | number);
    return (lt ? -1 : 1) * (o.descending ? -1 : 1);
  }
  if (a.startTime !== b.startTime) return b.startTime - a.startTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
