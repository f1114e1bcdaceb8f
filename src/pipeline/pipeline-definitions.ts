import { MlcycleError, notFound } from "../core/errors.js";
import { hashValue } from "../core/hash.js";
import type { AnyPipeline } from "./pipeline.js";
import type { Serializer } from "./serializers.js";

/**
 * The pipeline definitions an engine knows, by name and version: what `resume` and tasks delivered
 * by a remote executor find a run's definition in.
 */
export class PipelineDefinitions {
  private readonly byKey = new Map<string, AnyPipeline>();

  /** Makes a definition known; `CONFLICT` when its name and version are known with another graph. */
  register(p: AnyPipeline): void {
    const key = `${p.name}@${p.version}`;
    const known = this.byKey.get(key);
    if (known && known !== p) {
      const shape = (x: AnyPipeline) => hashValue(x.graph().edges) + hashValue(x.graph().nodes);
      if (shape(known) !== shape(p))
        throw new MlcycleError(
          "CONFLICT",
          `pipeline '${p.name}' version '${p.version}' is registered with another graph: give the new definition another version`,
        );
    }
    this.byKey.set(key, p);
  }

  /** A registered definition; `NOT_FOUND` naming what to register. */
  get(name: string, version: string): AnyPipeline {
    const p = this.byKey.get(`${name}@${version}`);
    if (!p)
      throw notFound(
        "pipeline definition",
        `${name}@${version}`,
        "register it with ws.pipelines.register(p) or pass it to resume(p, runId)",
      );
    return p;
  }

  /** Registered definitions, in the order they were first registered. */
  all(): AnyPipeline[] {
    return [...this.byKey.values()];
  }

  /** The serializer with this id among the steps of the registered definitions. */
  findSerializer(id: string): Serializer<any> | undefined {
    for (const p of this.byKey.values())
      for (const n of p.nodes) if (n.step.serializer?.id === id) return n.step.serializer;
    return undefined;
  }
}
