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

/**
 * A compile-time message for a wiring that does not fit a step's input: a string-literal type
 * prefixed `mlcycle: `, so the compiler prints the sentence where the wiring goes wrong.
 *
 * @example
 * ```ts
 * // .step("fit", fit, ({ load }) => ({ rows: load.names, lr: 1 }))
 * // error: Type 'RefBrand<string[]>' is not assignable to type
 * //   '"mlcycle: input 'rows' of step 'fit' expects number[], got string[]"'.
 * ```
 */
export type WiringError<M extends string> = `mlcycle: ${M}`;

type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;

type Printable = string | number | bigint | boolean | null | undefined;

type TupleNames<T extends readonly unknown[]> = T extends readonly []
  ? ""
  : T extends readonly [infer H, ...infer R]
    ? R extends readonly []
      ? TypeName<H>
      : `${TypeName<H>}, ${TupleNames<R>}`
    : never;

/**
 * A short name of a type for a {@link WiringError}: primitives, literals, arrays and tuples of
 * them are named; other types read as "an object", "a function" or "another type".
 */
export type TypeName<T> = [T] extends [never]
  ? "never"
  : [T] extends [boolean]
    ? [boolean] extends [T]
      ? "boolean"
      : `${T & boolean}`
    : true extends IsUnion<T>
      ? [undefined] extends [T]
        ? `${TypeName<Exclude<T, undefined>>} | undefined`
        : "a value of one of several types"
      : T extends string
        ? string extends T
          ? "string"
          : `'${T}'`
        : T extends number
          ? number extends T
            ? "number"
            : `${T}`
          : T extends bigint
            ? bigint extends T
              ? "bigint"
              : `${T}n`
            : T extends Printable
              ? `${T & Printable}`
              : T extends Date
                ? "Date"
                : T extends readonly unknown[]
                  ? number extends T["length"]
                    ? `${ArrayElementName<T[number]>}[]`
                    : `[${TupleNames<T>}]`
                  : T extends (...args: any[]) => any
                    ? "a function"
                    : T extends object
                      ? "an object"
                      : "another type";

type ArrayElementName<E> = true extends IsUnion<E> ? `(${TypeName<E>})` : TypeName<E>;

/** The value type a wiring result stands for: references replaced by the type they point to. */
export type WiredValue<W> =
  W extends RefBrand<infer V>
    ? V
    : W extends Leaf
      ? W extends readonly unknown[]
        ? { -readonly [K in keyof W]: WiredValue<W[K]> }
        : W
      : W extends object
        ? { -readonly [K in keyof W]: WiredValue<W[K]> }
        : W;

type Subject<Step extends string, Path extends string> = Path extends ""
  ? `the input of step '${Step}'`
  : `input '${Path}' of step '${Step}'`;

type JoinPath<Path extends string, K> = Path extends "" ? `${K & string}` : `${Path}.${K & string}`;

type Mismatch<
  W,
  In,
  Step extends string,
  Path extends string,
> = WiringError<`${Subject<Step, Path>} expects ${TypeName<In>}, got ${TypeName<WiredValue<W>>}`>;

type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];

type BadFields<V, In> = {
  [K in keyof In]-?: K extends keyof V ? ([V[K]] extends [In[K]] ? never : K) : never;
}[keyof In];

/** A reference to an object wired to an object input: names a missing field, else a mistyped one. */
type FieldMismatch<V, In, Step extends string, Path extends string> = [Exclude<RequiredKeys<In>, keyof V>] extends [
  infer Missing extends PropertyKey,
]
  ? [Missing] extends [never]
    ? [BadFields<V, In>] extends [infer Bad extends keyof In & keyof V]
      ? Bad extends string
        ? WiringError<`${Subject<Step, Path>} expects field '${Bad}' to be ${TypeName<In[Bad]>}, got ${TypeName<V[Bad]>}`>
        : WiringError<`${Subject<Step, Path>} expects an object of another shape`>
      : never
    : WiringError<`${Subject<Step, Path>} expects an object with field '${Missing & string}', got one without it`>
  : never;

type ExplainWire<W, In, Step extends string, Path extends string> = [W] extends [Wire<In> | Ref<In>]
  ? W
  : [W] extends [RefBrand<infer V>]
    ? [V] extends [Leaf]
      ? Mismatch<W, In, Step, Path>
      : [V, In] extends [object, object]
        ? [In] extends [Leaf]
          ? Mismatch<W, In, Step, Path>
          : FieldMismatch<V, In, Step, Path>
        : Mismatch<W, In, Step, Path>
    : [W] extends [readonly unknown[]]
      ? Mismatch<W, In, Step, Path>
      : [In] extends [Leaf]
        ? Mismatch<W, In, Step, Path>
        : [W] extends [object]
          ? [In] extends [object]
            ? {
                [K in keyof In]: K extends keyof W
                  ? ExplainWire<W[K], In[K], Step, JoinPath<Path, K>>
                  : {} extends Pick<In, K>
                    ? In[K]
                    : WiringError<`${Subject<Step, JoinPath<Path, K>>} is not wired`>;
              }
            : Mismatch<W, In, Step, Path>
          : Mismatch<W, In, Step, Path>;

/**
 * Checks a wiring result `W` against a step's input `In`: `W` itself when it fits, otherwise the
 * same shape with a {@link WiringError} at each key that does not fit (or is missing), naming the
 * key, the step, the type expected and the type wired.
 */
export type CheckWire<W, In, Step extends string> = [W] extends [Wire<In> | Ref<In>] ? W : ExplainWire<W, In, Step, "">;

/**
 * Checks the list a map fans out over, `L`, against the step's input `In`: `L` itself when it is
 * a reference to a list whose items fit, otherwise a {@link WiringError} saying what is wrong.
 */
export type CheckItems<L, In, Step extends string> = [L] extends [RefBrand<infer V>]
  ? [V] extends [readonly In[]]
    ? L
    : [V] extends [readonly (infer E)[]]
      ? WiringError<`map '${Step}' gives its step items of ${TypeName<E>}, but the step expects ${TypeName<In>}`>
      : WiringError<`map '${Step}' must run over a list, got ${TypeName<V>}`>
  : WiringError<`map '${Step}' must run over a reference to a list output, e.g. ({ load }) => load.rows`>;

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
