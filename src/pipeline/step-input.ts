import { fromZodError, MlcycleError } from "../core/errors.js";
import type { PipelineStore } from "../stores/pipeline-store.js";
import type { AnyPipeline, PipelineNode } from "./pipeline.js";
import type { ActiveRun } from "./pipeline-run-types.js";
import { readRef, resolveTemplate } from "./refs.js";
import type { AnyStep, CachePolicy } from "./step.js";
import type { StepOutputs } from "./step-output.js";

/** A step's cache policy with its defaults filled in (`ignoreInputs` sorted). */
export function cachePolicy(step: AnyStep): Required<Pick<CachePolicy, "enabled" | "ignoreInputs">> & CachePolicy {
  const c = step.cache;
  if (c === false) return { enabled: false, ignoreInputs: [] };
  if (c === true || c === undefined) return { enabled: true, ignoreInputs: [] };
  return { ...c, enabled: c.enabled ?? true, ignoreInputs: [...(c.ignoreInputs ?? [])].sort() };
}

/** Freezes a value and everything it holds (typed arrays excepted). */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** Params as seen by a step: reads of top-level members are recorded (they join the cache key). */
export function recordingParams(params: unknown, read: Set<string>): unknown {
  if (params === null || typeof params !== "object") return params;
  return new Proxy(params as object, {
    get(t, k, r) {
      if (typeof k === "string") read.add(k);
      return Reflect.get(t, k, r);
    },
    has(t, k) {
      if (typeof k === "string") read.add(k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      for (const k of Reflect.ownKeys(t)) if (typeof k === "string") read.add(k);
      return Reflect.ownKeys(t);
    },
    set: () => false,
    deleteProperty: () => false,
  });
}

/** The upstream values when this process holds them all (the usual case), without a store read. */
export function knownValues(
  node: PipelineNode,
  params: unknown,
  active: ActiveRun | undefined,
): Record<string, unknown> | undefined {
  if (!active) return undefined;
  const values: Record<string, unknown> = { params };
  for (const d of node.dependsOn) {
    if (!active.values.has(d)) return undefined;
    values[d] = active.values.get(d);
  }
  return values;
}

/** The upstream values, read back from the store (and kept in `active`) when this process lacks them. */
export async function upstreamValues(
  store: PipelineStore,
  outputs: StepOutputs,
  runId: string,
  p: AnyPipeline,
  node: PipelineNode,
  params: unknown,
  active: ActiveRun | undefined,
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = { params };
  for (const d of node.dependsOn) {
    if (active?.values.has(d)) values[d] = active.values.get(d);
    else {
      const rec = await store.getStep(runId, d);
      if (!rec?.output) throw new MlcycleError("INTERNAL", `step '${node.name}' needs '${d}', which has no output`);
      const v = await outputs.read(rec.output, p.getNode(d).step);
      active?.values.set(d, v);
      values[d] = v;
    }
  }
  return values;
}

/** A node's input from the upstream values, parsed by its step's schema (a list of inputs for a map). */
export function resolveInput(node: PipelineNode, values: Record<string, unknown>): unknown {
  const parse = (raw: unknown, where: string) => {
    const r = node.step.input.safeParse(raw);
    if (!r.success) throw fromZodError(r.error, where);
    return r.data;
  };
  if (node.kind === "step") {
    const raw = node.input === undefined ? {} : resolveTemplate(node.input, values);
    return parse(raw, `input of step '${node.name}'`);
  }
  const list = readRef(node.over!, values);
  if (!Array.isArray(list))
    throw new MlcycleError("VALIDATION", `map step '${node.name}': '${node.over}' is not a list (got ${typeof list})`);
  const scope: Record<string, unknown> = { ...values };
  return list.map((item, i) => {
    scope.$item = item;
    scope.$index = i;
    return parse(resolveTemplate(node.input, scope), `input of step '${node.name}' item ${i}`);
  });
}

/** What a condition may read: params and the node's dependencies; any other step is an error. */
export function guardedValues(p: AnyPipeline, node: PipelineNode, values: Record<string, unknown>): unknown {
  return new Proxy(values, {
    get(t, k) {
      if (typeof k === "string" && !(k in t) && p.nodes.some((n) => n.name === k))
        throw new MlcycleError(
          "PRECONDITION",
          `the condition of step '${node.name}' reads '${k}', which is not among its dependencies: add it to 'after'`,
        );
      return Reflect.get(t, k);
    },
  });
}
