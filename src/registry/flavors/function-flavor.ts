import { canonicalJson, sha256 } from "../../core/hash.js";
import { invalid, MlcycleError } from "../../core/errors.js";
import type { ModelFlavor, Predictor } from "../../stores/model-flavor.js";
import { checkJsonState } from "../json-state.js";

const FUNCTION_MODEL = Symbol.for("mlcycle.functionModel");

/** sha256 of each factory's source, hashed once per function (a function's source never changes). */
const codeHashes = new WeakMap<PredictFactory, string>();

function codeSha256(factory: PredictFactory): string {
  let hash = codeHashes.get(factory);
  if (hash === undefined) {
    hash = sha256(factory.toString());
    codeHashes.set(factory, hash);
  }
  return hash;
}

/** A model made of a named factory (code, registered in each process) and JSON state (stored). */
export interface FunctionModel<S = unknown> {
  readonly [FUNCTION_MODEL]: true;
  /** Name of the factory registered with `ws.registry.registerFunction`. */
  readonly factory: string;
  /** JSON state the factory turns into a predictor (weights, thresholds, vocabularies…). */
  readonly state: S;
}

/** Builds a predictor from stored state: a predict function, or an object with `predict`. */
export type PredictFactory<S = any> = (
  state: S,
) => ((inputs: any) => unknown) | Predictor | Promise<((inputs: any) => unknown) | Predictor>;

/**
 * A `function`-flavor model: the factory name and the state to store.
 *
 * @example
 * ```ts
 * ws.registry.registerFunction("linear", (s: { w: number[]; b: number }) =>
 *   (rows: number[][]) => rows.map((r) => r.reduce((a, x, i) => a + x * s.w[i], s.b)));
 * await ws.registry.register("price", { model: functionModel("linear", { w: [2, 3], b: 1 }) });
 * ```
 */
export function functionModel<S>(factory: string, state: S): FunctionModel<S> {
  return { [FUNCTION_MODEL]: true, factory, state };
}

/**
 * The `function` flavor: code stays in your program (a factory registered by name), the state is
 * stored as canonical JSON and must be plain JSON that reads back unchanged (no bigint, `NaN`, cycles
 * or class instances; at most 1000 levels deep: anything else is `VALIDATION` at register time). A hash of the factory's source is recorded with the version so an audit
 * can tell which code served it.
 */
export class FunctionFlavor implements ModelFlavor<FunctionModel> {
  readonly name = "function";
  private readonly factories = new Map<string, PredictFactory>();

  /** Registers (or replaces) a factory under a name. */
  registerFactory<S>(name: string, factory: PredictFactory<S>): void {
    if (typeof name !== "string" || !name) throw invalid(["factory"], "needs a non-empty name");
    if (typeof factory !== "function") throw invalid(["factory"], "must be a function (state) => predict");
    this.factories.set(name, factory);
  }

  detect(model: unknown): boolean {
    return typeof model === "object" && model !== null && FUNCTION_MODEL in model;
  }

  save(model: FunctionModel) {
    if (!this.detect(model)) throw invalid(["model"], "the function flavor takes functionModel(factory, state)");
    if (typeof model.factory !== "string" || !model.factory)
      throw invalid(["model", "factory"], "needs a non-empty name");
    // State that would not read back unchanged (bigint, cycles, class instances, 20,000 levels) is refused here.
    checkJsonState("state", model.state);
    const factory = this.factories.get(model.factory);
    const meta: Record<string, unknown> = { factory: model.factory };
    if (factory) meta.codeSha256 = codeSha256(factory);
    return { bytes: new TextEncoder().encode(canonicalJson(model.state)), meta };
  }

  async load(bytes: Uint8Array, meta: Record<string, unknown>, context: { ref: string }): Promise<Predictor> {
    const name = String(meta.factory ?? "");
    const factory = this.factories.get(name);
    if (!factory)
      throw new MlcycleError(
        "PRECONDITION",
        `${context.ref} needs the predict factory '${name}': register it with ws.registry.registerFunction('${name}', factory)`,
        { details: { factory: name } },
      );
    const made = await factory(JSON.parse(new TextDecoder().decode(bytes)));
    if (typeof made === "function") return { predict: made };
    if (made && typeof made.predict === "function") return made;
    throw new MlcycleError("INTERNAL", `predict factory '${name}' returned neither a function nor { predict }`);
  }
}

/** A new `function` flavor with its own factory table (the registry builds one for itself). */
export function functionFlavor(): FunctionFlavor {
  return new FunctionFlavor();
}
