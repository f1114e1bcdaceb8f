import { MlcycleError } from "../core/errors.js";
import { sha256 } from "../core/hash.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { ModelFlavor } from "../stores/model-flavor.js";
import type { AliasMoveSeen } from "./alias-move-feed.js";
import type { ModelRef } from "./model-ref.js";
import type { ModelResolver } from "./model-resolver.js";
import type { LoadedModel, LoadOptions, ResolvedVersion } from "./registry-types.js";
import { type SchemaLike, type Validator, validatorFor } from "./signature.js";

/**
 * Turns a model reference into something that predicts — the seam serving builds on. `load`
 * resolves the reference to a version (alias, number, `latest` or id), reads its artifact and
 * verifies the digest (changed bytes are `INTEGRITY`, never a silently different model), rebuilds
 * the model with the version's flavor and wraps `predict` with validation of inputs against the
 * version's signature (`VALIDATION` with zod's issues). The {@link LoadedModel} carries the version
 * it loaded, so a caller that re-resolves an alias can tell whether it moved.
 *
 * `ws.registry` is a `ModelLoader`; so is a {@link RegistryModelLoader} built by hand.
 *
 * @example
 * ```ts
 * async function serve(loader: ModelLoader, ref: string, rows: number[][]) {
 *   await using m = await loader.load(ref);
 *   return { version: m.version.version, predictions: await m.predict(rows) };
 * }
 * ```
 */
export interface ModelLoader {
  /** The model and version records a reference points at now; `NOT_FOUND` naming what is missing. */
  resolve(ref: ModelRef): Promise<ResolvedVersion>;
  /** Loads the version a reference points at now, ready to predict (see {@link ModelLoader}). */
  load<I = any, O = any>(ref: ModelRef, options?: LoadOptions): Promise<LoadedModel<I, O>>;
  /**
   * Optional: calls `listener` with each alias move committed from now on by any process, until the
   * returned function is called (undefined when the loader cannot hear other processes' moves).
   * Serving uses it to hot-swap at once; without it, deployments re-read aliases on a timer.
   */
  watchAliasMoves?(listener: (move: AliasMoveSeen) => void): Promise<(() => Promise<void>) | undefined>;
}

/** What a {@link RegistryModelLoader} reads from. */
export interface RegistryModelLoaderOptions {
  /** Resolves references against the registry store. */
  resolver: ModelResolver;
  /** Where version bytes are kept. */
  artifacts: ArtifactStore;
  /** The flavor of a version by name (`NOT_FOUND` for an unknown one). */
  flavor(name: string): ModelFlavor;
  /**
   * Zod schemas of versions registered in this process, by version id: used instead of the stored
   * JSON Schema, so refinements and transforms that JSON Schema cannot express still apply.
   */
  schemas?: ReadonlyMap<string, SchemaLike>;
}

/** The registry's {@link ModelLoader}: versions from the registry store, bytes from the artifact store. */
export class RegistryModelLoader implements ModelLoader {
  constructor(private readonly options: RegistryModelLoaderOptions) {}

  resolve(ref: ModelRef): Promise<ResolvedVersion> {
    return this.options.resolver.resolve(ref);
  }

  async load<I = any, O = any>(ref: ModelRef, options: LoadOptions = {}): Promise<LoadedModel<I, O>> {
    return this.loadResolved(await this.resolve(ref), options);
  }

  /** Loads a version already resolved (see {@link ModelLoader.load}). */
  async loadResolved({ model, version }: ResolvedVersion, options: LoadOptions = {}): Promise<LoadedModel> {
    const ref = `${model.name}@${version.version}`;
    const flavor = this.options.flavor(version.flavor);
    const bytes = await this.options.artifacts.get(version.digest);
    const actual = sha256(bytes);
    if (actual !== version.digest)
      throw new MlcycleError("INTEGRITY", `the artifact of ${ref} does not match its digest ${version.digest}`, {
        details: { ref, digest: version.digest, actual },
      });
    const flavorOptions = { ...(options.flavorOptions ?? {}) };
    if (options.modelClass) flavorOptions.modelClass = options.modelClass;
    const predictor = await flavor.load(bytes, version.flavorMeta, { ref, options: flavorOptions });
    const schema = this.options.schemas?.get(version.id) ?? version.signature?.inputs;
    const validator: Validator | undefined =
      schema !== undefined && options.validate !== false ? validatorFor(schema, `inputs of ${ref}`) : undefined;
    const described = await this.options.resolver.describeVersion(model, version);
    return {
      version: described,
      ref,
      flavor: flavor.name,
      predictor,
      validateInputs: (inputs) => (validator ? validator(inputs) : inputs),
      async predict(inputs) {
        const checked = validator ? validator(inputs) : inputs;
        return predictor.predict(checked);
      },
      async close() {
        await predictor.close?.();
      },
      async [Symbol.asyncDispose]() {
        await predictor.close?.();
      },
    };
  }
}
