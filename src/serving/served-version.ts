import type { LoadedModel } from "../registry/registry-types.js";
import { validatorFor } from "../registry/signature.js";
import type { PredictionModelRef } from "../stores/prediction-log-store.js";
import type { EngineCall, EngineLease } from "./deployment-engine.js";

/**
 * One loaded model version inside a deployment, reference-counted: every call holds it from the
 * moment it is handed the version until its answer is back. A swapped-out version is retired: it
 * takes no new calls, and is closed when the last call holding it releases it.
 */
export class ServedVersion implements EngineLease {
  /** The version as the prediction log records it. */
  readonly ref: PredictionModelRef;
  /** `[ref]`, shared by every call's answer (frozen). */
  readonly versions: readonly PredictionModelRef[];
  private readonly checkOutputs: ((outputs: unknown) => unknown) | undefined;
  private refs = 0;
  private retiring = false;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private readonly retired: Promise<void>;

  /**
   * @param model the loaded version.
   * @param options `step`: the routine's name for it; `validateOutputs`: check outputs against the
   *   version's output schema when it has one; `onCloseError`: where an error of `close()` goes.
   */
  constructor(
    readonly model: LoadedModel,
    options: { step?: string; validateOutputs: boolean; onCloseError(error: unknown): void },
  ) {
    const v = model.version;
    this.ref = Object.freeze({
      model: v.model,
      version: v.version,
      versionId: v.id,
      ...(options.step ? { step: options.step } : {}),
    });
    this.versions = Object.freeze([this.ref]);
    const schema = v.signature?.outputs;
    this.checkOutputs =
      options.validateOutputs && schema !== undefined
        ? validatorFor(schema, `outputs of ${v.model}@${v.version}`)
        : undefined;
    this.retired = new Promise<void>((resolve) => {
      this.drained = resolve;
    }).then(() => {
      this.closing ??= this.model.close().catch(options.onCloseError);
      return this.closing;
    });
  }

  /** Takes a reference for one call; pair with {@link ServedVersion.release}. */
  acquire(): this {
    this.refs++;
    return this;
  }

  /** Gives a reference back; the last one of a retired version closes it. */
  release(): void {
    this.refs--;
    if (this.retiring && this.refs === 0) this.drained?.();
  }

  /** The version's feature service, when it was registered with one. */
  get featureService(): string | undefined {
    return this.model.version.featureService;
  }

  /** This version itself: a one-model deployment reports it. */
  get primary(): PredictionModelRef {
    return this.ref;
  }

  /** Checks inputs against the version's signature (`VALIDATION` with zod's issues); returns them parsed. */
  validateInputs(inputs: unknown): unknown {
    return this.model.validateInputs(inputs);
  }

  /** Invokes the predictor on checked inputs, before returning (see {@link EngineLease.run}). */
  run(inputs: unknown): Promise<EngineCall> {
    try {
      const out = this.model.predictor.predict(inputs);
      const models = this.versions;
      if (typeof (out as PromiseLike<unknown> | null)?.then !== "function")
        return Promise.resolve({ outputs: out, models });
      return Promise.resolve(out).then((outputs) => ({ outputs, models }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Calls holding this version now. */
  get inUse(): number {
    return this.refs;
  }

  /** True once it was retired (it may still be answering calls that hold it). */
  get isRetired(): boolean {
    return this.retiring;
  }

  /**
   * Retires it: closed once the calls holding it have drained. Resolves when it is closed.
   * Retiring twice is fine.
   */
  retire(): Promise<void> {
    this.retiring = true;
    if (this.refs === 0) this.drained?.();
    return this.retired;
  }

  /**
   * Checks outputs against the version's output schema (`VALIDATION` with zod's issues, naming
   * `outputs of model@version`). The outputs are returned as the model gave them: a schema that
   * names some members of an object does not strip the others.
   */
  validateOutputs(outputs: unknown): void {
    this.checkOutputs?.(outputs);
  }
}
