/**
 * Typed references to values that exist only once a pipeline runs: a step's output, a field of it,
 * a pipeline parameter, the current item of a map. Wiring callbacks receive references, never
 * values, so the graph's edges are collected when the pipeline is defined, without running a step.
 */

declare const refType: unique symbol;

/** The phantom brand carrying a reference's value type (covariant). */
export interface RefBrand<T> {
  readonly [refType]: T;
}

type Leaf = readonly unknown[] | ArrayBufferView | Date | Map<any, any> | Set<any> | ((...args: any[]) => any);

type RefMembers<T> = T extends Leaf ? {} : T extends object ? { readonly [K in keyof T]-?: Ref<T[K]> } : {};

/**
 * A reference to a value of type `T`. Members of a plain object are references too
 * (`prepare.stats.mean`); arrays, typed arrays and primitives are leaves.
 */
export type Ref<T> = RefBrand<T> & RefMembers<T>;

/**
 * What a wiring callback returns for an input of type `T`: a reference of a compatible type, a
 * constant, or (for objects) an object of the same shape built from either. A reference of another
 * type does not compile.
 */
export type Wire<T> =
  | T
  | Ref<T>
  | (T extends readonly (infer E)[]
      ? readonly Wire<E>[]
      : T extends Leaf
        ? never
        : T extends object
          ? { [K in keyof T]: Wire<T[K]> }
          : never);

/** The references a wiring callback receives: `params` and every step defined so far. */
export type Refs<P, O> = { readonly params: Ref<P> } & { readonly [K in keyof O]: Ref<O[K]> };

const REF = Symbol.for("mlcycle.pipeline.ref");

/** Where a reference points: a source (`params`, a step name, or `$item`) and a member path. */
export class RefTarget {
  constructor(
    readonly source: string,
    readonly path: readonly string[],
  ) {}

  /** `prepare.rows`, `params.lr`. */
  toString(): string {
    return [this.source, ...this.path].join(".");
  }
}

/** A runtime reference proxy: any member read returns a deeper reference. */
export function makeRef(source: string, path: readonly string[] = []): unknown {
  const target = new RefTarget(source, path);
  return new Proxy(Object.create(null), {
    get(_t, key) {
      if (key === REF) return target;
      if (typeof key === "symbol" || key === "then" || key === "toJSON") return undefined;
      return makeRef(source, [...path, key]);
    },
    has: (_t, key) => key === REF,
    set: () => false,
    ownKeys: () => [],
  });
}

/** The target of a reference proxy, or undefined when `v` is not one. */
export function refTarget(v: unknown): RefTarget | undefined {
  if ((typeof v === "object" || typeof v === "function") && v !== null) {
    const t = (v as Record<symbol, unknown>)[REF];
    return t instanceof RefTarget ? t : undefined;
  }
  return undefined;
}

/** The root object handed to wiring callbacks: `params` plus one reference per known step. */
export function refsRoot(): unknown {
  return new Proxy(Object.create(null), {
    get(_t, key) {
      if (typeof key === "symbol") return undefined;
      return makeRef(key);
    },
  });
}

/**
 * A wiring result with references replaced by {@link RefTarget}s, ready to be resolved at run time.
 * Constants are kept as they are.
 */
export type Template = unknown;

/** Turns a wiring result into a {@link Template}, listing every reference and where it lands. */
export function compileTemplate(
  value: unknown,
  at: string[] = [],
  found: Array<{ target: RefTarget; at: string[] }> = [],
): { template: Template; refs: Array<{ target: RefTarget; at: string[] }> } {
  const t = refTarget(value);
  if (t) {
    found.push({ target: t, at });
    return { template: t as Template, refs: found };
  }
  if (Array.isArray(value)) {
    const out: unknown[] = value.map((v, i): unknown => compileTemplate(v, [...at, String(i)], found).template);
    return { template: out as Template, refs: found };
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = compileTemplate(v, [...at, k], found).template;
    return { template: out as Template, refs: found };
  }
  return { template: value as Template, refs: found };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Reads a reference's value out of the values by source. */
export function readRef(target: RefTarget, values: Record<string, unknown>): unknown {
  let v = values[target.source];
  for (const k of target.path) {
    if (v === null || v === undefined) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Replaces the references of a template with their values. */
export function resolveTemplate(template: Template, values: Record<string, unknown>): unknown {
  if (template instanceof RefTarget) return readRef(template, values);
  if (Array.isArray(template)) return template.map((t) => resolveTemplate(t, values));
  if (isPlainObject(template)) {
    const out: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(template)) out[k] = resolveTemplate(t, values);
    return out;
  }
  return template;
}
