import { readFile } from "node:fs/promises";
import { invalid, MlcycleError } from "../../core/errors.js";
import type { ModelFlavor, Predictor } from "../../stores/model-flavor.js";

/** The subset of an onnxruntime tensor the flavor reads and builds. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint | string | boolean> | unknown;
}

/** The subset of an onnxruntime `InferenceSession` the flavor uses. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: ReadonlyArray<{
    name: string;
    isTensor?: boolean;
    type?: string;
    shape?: readonly unknown[];
  }>;
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, unknown>>;
  run(feeds: Record<string, OrtTensorLike>, fetches: readonly string[]): Promise<Record<string, unknown>>;
  release?(): Promise<void>;
}

/** The subset of the `onnxruntime-node` module the flavor uses, typed structurally. */
export interface OrtModuleLike {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
  Tensor: new (type: string, data: any, dims: readonly number[]) => OrtTensorLike;
}

/** Options of {@link onnxFlavor}. */
export interface OnnxFlavorOptions {
  /** The onnxruntime module (default: `import("onnxruntime-node")` on first use). */
  ort?: OrtModuleLike;
  /** Options passed to `InferenceSession.create` (threads, execution providers…). */
  sessionOptions?: Record<string, unknown>;
  /**
   * Outputs to compute (default all). Useful to skip outputs onnxruntime-node cannot return, such
   * as a ZipMap's sequence of maps; also settable per load with `flavorOptions: { outputs }`.
   */
  outputs?: string[];
}

/** A tensor input given explicitly: flat or nested data, its dims and element type. */
export interface OnnxTensorInput {
  data: ArrayLike<number | bigint | string | boolean> | unknown[];
  dims: number[];
  /** Element type (default from the model's input metadata, else `float32`). */
  type?: string;
}

/**
 * What an ONNX model's `predict` takes: rows (`number[][]`) for the model's single input, or a record
 * input name → rows or {@link OnnxTensorInput}.
 */
export type OnnxInputs = unknown[] | Record<string, unknown[] | OnnxTensorInput>;

/** What it returns: output name → nested arrays shaped like the output tensor (int64 as numbers). */
export type OnnxOutputs = Record<string, unknown>;

const TYPED: Record<string, (values: unknown[]) => unknown> = {
  float32: (v) => Float32Array.from(v as number[]),
  float64: (v) => Float64Array.from(v as number[]),
  double: (v) => Float64Array.from(v as number[]),
  int32: (v) => Int32Array.from(v as number[]),
  int64: (v) => BigInt64Array.from((v as (number | bigint)[]).map((x) => BigInt(x))),
  uint8: (v) => Uint8Array.from(v as number[]),
  int8: (v) => Int8Array.from(v as number[]),
  bool: (v) => Uint8Array.from((v as unknown[]).map((x) => (x ? 1 : 0))),
  string: (v) => (v as unknown[]).map(String),
};

let cachedOrt: Promise<OrtModuleLike> | undefined;

async function importOrt(): Promise<OrtModuleLike> {
  cachedOrt ??= (async () => {
    try {
      const specifier = "onnxruntime-node";
      const mod = (await import(specifier)) as OrtModuleLike & { default?: OrtModuleLike };
      return mod.InferenceSession ? mod : (mod.default as OrtModuleLike);
    } catch (error) {
      cachedOrt = undefined;
      throw new MlcycleError(
        "UNAVAILABLE",
        "the onnx flavor needs onnxruntime-node: `ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install onnxruntime-node`, or pass { ort } to onnxFlavor()",
        { cause: error },
      );
    }
  })();
  return cachedOrt;
}

/** Flattens nested arrays and reports their shape; `VALIDATION` on ragged input. */
function flatten(value: unknown, what: string): { values: unknown[]; dims: number[] } {
  const dims: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  const values: unknown[] = [];
  const walk = (v: unknown, depth: number, path: number[]) => {
    if (depth === dims.length) {
      if (Array.isArray(v)) throw invalid([what, ...path], "is nested deeper than its siblings");
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth])
      throw invalid([what, ...path], `must be an array of ${dims[depth]} items like its siblings`);
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, [...path, i]);
  };
  walk(value, 0, []);
  return { values, dims };
}

/** Reshapes a flat typed array into nested arrays by `dims`; bigints become numbers. */
function unflatten(data: ArrayLike<unknown>, dims: readonly number[]): unknown {
  const plain = Array.from(data, (x) => (typeof x === "bigint" ? Number(x) : x));
  if (dims.length <= 1) return plain;
  const build = (offset: number, d: number): unknown[] => {
    const size = dims.slice(d + 1).reduce((a, b) => a * b, 1);
    const out: unknown[] = [];
    for (let i = 0; i < dims[d]; i++)
      out.push(d === dims.length - 1 ? plain[offset + i] : build(offset + i * size, d + 1));
    return out;
  };
  return build(0, 0);
}

function toPlain(value: unknown): unknown {
  const t = value as OrtTensorLike | undefined;
  if (t && typeof t === "object" && "dims" in t && "data" in t)
    return unflatten(t.data as ArrayLike<unknown>, t.dims as number[]);
  // Non-tensor outputs (sequences of maps, e.g. a ZipMap of class → probability) pass through as
  // plain objects with numeric values.
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (typeof value === "bigint") return Number(value);
  return value;
}

/**
 * The `onnx` flavor (`mlcycle/onnx`): models trained anywhere (scikit-learn through skl2onnx,
 * PyTorch, …) exported to ONNX and run with onnxruntime-node, an optional peer dependency imported on
 * first use (or passed as `ort`). `save` takes the model's bytes or a file path and records its input
 * and output names and types; `predict` takes rows for a single-input model (or a record by input
 * name) and returns every output as nested arrays.
 *
 * @example
 * ```ts
 * import { onnxFlavor } from "mlcycle/onnx";
 * ws.registry.registerFlavor(onnxFlavor());
 * await ws.registry.register("iris", { model: "models/iris-logreg.onnx", flavor: "onnx" });
 * const m = await ws.registry.load("iris@latest");
 * const { label, probabilities } = await m.predict([[5.1, 3.5, 1.4, 0.2]]);
 * ```
 */
export function onnxFlavor(options: OnnxFlavorOptions = {}): ModelFlavor<Uint8Array | string> {
  const ort = () => (options.ort ? Promise.resolve(options.ort) : importOrt());
  const open = async (bytes: Uint8Array, extra: Record<string, unknown> = {}) => {
    const mod = await ort();
    try {
      return await mod.InferenceSession.create(bytes, { ...(options.sessionOptions ?? {}), ...extra });
    } catch (error) {
      throw invalid(["model"], `onnxruntime cannot read the model: ${(error as Error).message}`);
    }
  };
  return {
    name: "onnx",
    detect: () => false,
    async save(model) {
      let bytes: Uint8Array;
      if (typeof model === "string") {
        try {
          bytes = new Uint8Array(await readFile(model));
        } catch (error) {
          throw invalid(["model"], `cannot read ONNX file '${model}': ${(error as Error).message}`);
        }
      } else if (model instanceof Uint8Array) bytes = model;
      else throw invalid(["model"], "the onnx flavor takes the model's bytes (Uint8Array) or a file path");
      const session = await open(bytes);
      const inputs = (session.inputMetadata ?? []).map((m) => ({
        name: m.name,
        ...(m.type ? { type: m.type } : {}),
        ...(m.shape ? { shape: m.shape.map((d) => (typeof d === "number" ? d : null)) } : {}),
      }));
      const meta = {
        inputNames: [...session.inputNames],
        outputNames: [...session.outputNames],
        ...(inputs.length ? { inputs } : {}),
      };
      await session.release?.();
      return { bytes, meta };
    },
    async load(bytes, _meta, context): Promise<Predictor<OnnxInputs, OnnxOutputs>> {
      const mod = await ort();
      const session = await open(bytes, (context.options.sessionOptions as Record<string, unknown>) ?? {});
      const types = new Map((session.inputMetadata ?? []).map((m) => [m.name, m.type ?? "float32"]));
      const fetches = (context.options.outputs as string[] | undefined) ?? options.outputs;
      for (const name of fetches ?? [])
        if (!session.outputNames.includes(name))
          throw invalid(["outputs"], `the model has no output '${name}' (it has ${session.outputNames.join(", ")})`);
      const tensor = (name: string, value: unknown): OrtTensorLike => {
        const given = value as OnnxTensorInput;
        const explicit = value && typeof value === "object" && !Array.isArray(value) && "dims" in given;
        const type = (explicit ? given.type : undefined) ?? types.get(name) ?? "float32";
        const make = TYPED[type];
        if (!make) throw invalid([name], `input element type '${type}' is not supported`);
        const { values, dims } = explicit
          ? { values: Array.from(given.data as ArrayLike<unknown>), dims: given.dims }
          : flatten(value, name);
        return new mod.Tensor(type, make(values), dims);
      };
      return {
        async predict(inputs) {
          const feeds: Record<string, OrtTensorLike> = {};
          if (Array.isArray(inputs)) {
            if (session.inputNames.length !== 1)
              throw invalid(["inputs"], `the model has inputs ${session.inputNames.join(", ")}: pass a record by name`);
            feeds[session.inputNames[0]] = tensor(session.inputNames[0], inputs);
          } else if (inputs && typeof inputs === "object") {
            for (const name of session.inputNames) {
              if (!(name in inputs)) throw invalid(["inputs", name], "is missing");
              feeds[name] = tensor(name, (inputs as Record<string, unknown>)[name]);
            }
          } else throw invalid(["inputs"], "must be rows or a record input name → rows");
          let out: Record<string, unknown>;
          try {
            out = fetches ? await session.run(feeds, fetches) : await session.run(feeds);
          } catch (error) {
            throw invalid(["inputs"], `onnxruntime rejected the inputs: ${(error as Error).message}`, "onnx_run");
          }
          return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, toPlain(v)]));
        },
        async close() {
          await session.release?.();
        },
      };
    },
  };
}
