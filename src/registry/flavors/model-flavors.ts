import { invalid, notFound } from "../../core/errors.js";
import { checkKey } from "../../core/validation.js";
import type { ModelFlavor } from "../../stores/model-flavor.js";
import { FunctionFlavor } from "./function-flavor.js";
import { JsonFlavor } from "./json-flavor.js";

/**
 * The flavors one registry knows, by name: the built-in `function` and `json` ones first, then those
 * added. Flavors added later are tried first when a model's flavor is detected.
 */
export class ModelFlavors {
  private readonly byName = new Map<string, ModelFlavor>();
  /** The built-in `json` flavor (its classes are registered on it). */
  readonly json = new JsonFlavor();
  /** The built-in `function` flavor (its factories are registered on it). */
  readonly functions = new FunctionFlavor();

  constructor(extra: ModelFlavor[] = []) {
    this.add(this.functions);
    this.add(this.json);
    for (const f of extra) this.add(f);
  }

  /** Adds a flavor, or replaces the one of the same name; `VALIDATION` when it is not a flavor. */
  add(flavor: ModelFlavor): void {
    if (!flavor || typeof flavor.save !== "function" || typeof flavor.load !== "function")
      throw invalid(["flavor"], "a flavor needs a name, save() and load()");
    checkKey("flavor.name", flavor.name);
    this.byName.delete(flavor.name);
    this.byName.set(flavor.name, flavor);
  }

  /** A flavor by name; `NOT_FOUND` naming the known ones. */
  get(name: string): ModelFlavor {
    const f = this.byName.get(name);
    if (!f) throw notFound("model flavor", name, `known flavors: ${this.names().join(", ")}`);
    return f;
  }

  /**
   * The flavor to save a registration with: the one named, else the latest added whose `detect`
   * accepts `model`; `VALIDATION` when none is named and none recognises it.
   */
  pick(named: string | undefined, model: unknown): ModelFlavor {
    if (named !== undefined) return this.get(checkKey("flavor", named));
    if (model === undefined) throw invalid(["flavor"], "name the flavor when registering bytes or a run artifact");
    const f = [...this.byName.values()].reverse().find((c) => c.detect?.(model));
    if (!f)
      throw invalid(
        ["flavor"],
        `no flavor recognises this model; name one (${this.names().join(", ")}) or register a custom flavor`,
      );
    return f;
  }

  private names(): string[] {
    return [...this.byName.keys()];
  }
}
