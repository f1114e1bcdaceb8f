/**
 * The model flavor port: how a model is saved to bytes and loaded back into something that
 * predicts. The registry stores the bytes content-addressed and `meta` beside the version; `load`
 * gets both back. A flavor imports nothing of the registry, so an adapter (`mlcycle/onnx`) depends
 * on this port alone.
 *
 * Built-ins: `jsonFlavor()` (`json`), `functionFlavor()` (`function`); `mlcycle/onnx` adds
 * `onnxFlavor()` (`onnx`). A custom flavor is an object with these members, registered with
 * `ws.registry.registerFlavor(flavor)`.
 *
 * @example
 * ```ts
 * const csvThresholds: ModelFlavor<{ cut: number }> = {
 *   name: "threshold",
 *   save: (m) => ({ bytes: new TextEncoder().encode(String(m.cut)) }),
 *   load: (bytes) => {
 *     const cut = Number(new TextDecoder().decode(bytes));
 *     return { predict: (xs: number[]) => xs.map((x) => (x >= cut ? 1 : 0)) };
 *   },
 * };
 * ws.registry.registerFlavor(csvThresholds);
 * await ws.registry.register("spam", { model: { cut: 0.7 }, flavor: "threshold" });
 * ```
 */
export interface ModelFlavor<M = any> {
  /** Unique name, stored with each version (`json`, `function`, `onnx`, …). */
  readonly name: string;
  /**
   * Whether this flavor can save `model`; used when `register()` is given no flavor. Optional:
   * flavors without it are only used when named.
   */
  detect?(model: unknown): boolean;
  /** Serialises the model. `meta` (JSON) is stored with the version and handed back to `load`. */
  save(model: M, context: FlavorSaveContext): SavedModel | Promise<SavedModel>;
  /** Rebuilds something that predicts from the bytes and meta `save` produced. */
  load(bytes: Uint8Array, meta: Record<string, unknown>, context: FlavorLoadContext): Predictor | Promise<Predictor>;
}

/** What `save` produces. */
export interface SavedModel {
  bytes: Uint8Array;
  /** JSON-serialisable facts `load` needs (class name, input names…). Default `{}`. */
  meta?: Record<string, unknown>;
}

/** Passed to {@link ModelFlavor.save}. */
export interface FlavorSaveContext {
  /** Flavor-specific options given to `register(name, { flavorOptions })`. */
  options: Record<string, unknown>;
}

/** Passed to {@link ModelFlavor.load}. */
export interface FlavorLoadContext {
  /** `model/version`, for messages. */
  ref: string;
  /** Flavor-specific options given to `load(ref, { flavorOptions })`. */
  options: Record<string, unknown>;
}

/** A loaded model: a predict function and an optional way to release what it holds. */
export interface Predictor<I = any, O = unknown> {
  predict(inputs: I): O | Promise<O>;
  close?(): void | Promise<void>;
}
