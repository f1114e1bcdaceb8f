import { MlcycleError } from "../../core/errors.js";
import { invalid } from "../../core/errors.js";
import type { ModelFlavor, Predictor } from "../../stores/model-flavor.js";

/** A model class the `json` flavor can rebuild: a constructor with a static `load(json)`, as ml.js has. */
export interface JsonModelClass<M = any> {
  readonly name: string;
  load(json: any): M;
}

/** How the `json` flavor handles one class. */
export interface JsonClassOptions<M = any> {
  /** Name stored with the version (default the class's `name`). */
  name?: string;
  /** How to call the model (default `model.predict(inputs)`). */
  predict?: (model: M, inputs: any) => unknown;
}

interface Entry {
  cls: JsonModelClass;
  predict: (model: any, inputs: any) => unknown;
}

/**
 * The `json` flavor: models that serialise with `toJSON()` and come back with a static
 * `Class.load(json)` — ml.js models (`ml-random-forest`, `ml-logistic-regression`, `ml-cart`…) and
 * your own classes. The class name is stored with the version; register the class in the process
 * that loads it (`ws.registry.registerModelClass(RandomForestClassifier)`) or pass `modelClass` to
 * `load`.
 *
 * @example
 * ```ts
 * ws.registry.registerModelClass(RandomForestClassifier);
 * await ws.registry.register("iris", { model: rf });           // flavor "json" detected
 * const m = await ws.registry.load("iris@latest");
 * ```
 */
export class JsonFlavor implements ModelFlavor<{ toJSON(): unknown }> {
  readonly name = "json";
  private readonly classes = new Map<string, Entry>();

  /** Makes a class loadable by name; `predict` adapts how the model is called. */
  registerClass<M>(cls: JsonModelClass<M>, options: JsonClassOptions<M> = {}): void {
    if (typeof cls?.load !== "function") throw invalid(["modelClass"], "must have a static load(json) method");
    const name = options.name ?? cls.name;
    if (!name) throw invalid(["modelClass"], "has no name; pass options.name");
    this.classes.set(name, { cls, predict: options.predict ?? defaultPredict });
  }

  detect(model: unknown): boolean {
    return (
      typeof model === "object" &&
      model !== null &&
      typeof (model as { toJSON?: unknown }).toJSON === "function" &&
      typeof (model as { predict?: unknown }).predict === "function"
    );
  }

  save(model: { toJSON(): unknown }, context: { options: Record<string, unknown> }) {
    if (typeof model?.toJSON !== "function") throw invalid(["model"], "the json flavor needs a model with toJSON()");
    const className = (context.options.className as string | undefined) ?? model.constructor?.name;
    if (!className || className === "Object")
      throw invalid(["flavorOptions", "className"], "cannot tell the model's class; pass flavorOptions.className");
    let text: string;
    try {
      text = JSON.stringify(model);
    } catch (error) {
      // A cycle, a bigint or a stack overflow inside toJSON's result: the model cannot be stored.
      throw new MlcycleError(
        "VALIDATION",
        `model: toJSON() gave a value JSON cannot hold: ${(error as Error).message}`,
        {
          issues: [{ code: "not_json", path: ["model"], message: (error as Error).message }],
          cause: error,
        },
      );
    }
    return { bytes: new TextEncoder().encode(text), meta: { className } };
  }

  load(bytes: Uint8Array, meta: Record<string, unknown>, context: { ref: string; options: Record<string, unknown> }) {
    const className = String(meta.className ?? "");
    const given = context.options.modelClass as JsonModelClass | undefined;
    const entry: Entry | undefined = given
      ? (this.classes.get(given.name) ?? { cls: given, predict: defaultPredict })
      : this.classes.get(className);
    if (!entry)
      throw new MlcycleError(
        "PRECONDITION",
        `${context.ref} is a '${className}' saved with the json flavor, and no such class is registered: ` +
          `call ws.registry.registerModelClass(${className}) or pass { modelClass } to load()`,
        { details: { className } },
      );
    const model = entry.cls.load(JSON.parse(new TextDecoder().decode(bytes)));
    const predictor: Predictor & { model: unknown } = {
      model,
      predict: (inputs) => entry.predict(model, inputs),
    };
    return predictor;
  }
}

const defaultPredict = (model: any, inputs: any) => model.predict(inputs);

/** A new `json` flavor with its own class table (the registry builds one for itself). */
export function jsonFlavor(): JsonFlavor {
  return new JsonFlavor();
}
