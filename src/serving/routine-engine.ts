import { invalid, MlcycleError } from "../core/errors.js";
import { signatureRecord, type Validator, validatorFor } from "../registry/signature.js";
import type { PredictionModelRef } from "../stores/prediction-log-store.js";
import type { DeploymentEngine, EngineCall, EngineLease, EngineRunOptions } from "./deployment-engine.js";
import type { DeploymentDescription } from "./deployment-types.js";
import type { ModelSlot } from "./model-slot.js";
import type { RoutineContext, RoutineSpec } from "./routine.js";
import type { ServedVersion } from "./served-version.js";

/**
 * The engine of a composite routine: a call holds the version serving now of every model of the
 * routine (so a swap in the middle of a call changes nothing for it), and runs the routine's
 * functions with a context whose `predict` calls them.
 */
export class RoutineEngine implements DeploymentEngine {
  readonly usesParams = true;
  readonly ref: string;
  readonly slots: readonly ModelSlot[];
  private readonly steps: readonly string[];
  private readonly checkInputs: Validator | undefined;
  private readonly checkOutputs: Validator | undefined;

  constructor(
    private readonly name: string,
    private readonly spec: RoutineSpec,
    private readonly bySlot: ReadonlyMap<string, ModelSlot>,
    validateOutputs: boolean,
  ) {
    this.ref = `routine:${name}`;
    this.steps = [...bySlot.keys()];
    this.slots = [...bySlot.values()];
    const sig = spec.signature;
    this.checkInputs = sig?.inputs !== undefined ? validatorFor(sig.inputs, `inputs of routine '${name}'`) : undefined;
    this.checkOutputs =
      validateOutputs && sig?.outputs !== undefined
        ? validatorFor(sig.outputs, `outputs of routine '${name}'`)
        : undefined;
  }

  acquire(): EngineLease {
    const held = new Map<string, ServedVersion>();
    for (const [step, slot] of this.bySlot) held.set(step, slot.acquire());
    const versions = [...held.values()].map((v) => v.ref);
    const first = held.get(this.steps[0]) as ServedVersion;
    let released = false;
    return {
      validateInputs: (inputs) => (this.checkInputs ? this.checkInputs(inputs) : inputs),
      run: (inputs, options) => this.run(held, inputs, options),
      validateOutputs: (outputs) => {
        this.checkOutputs?.(outputs);
      },
      featureService: first.featureService,
      versions,
      primary: first.ref,
      release: () => {
        if (released) return;
        released = true;
        for (const v of held.values()) v.release();
      },
    };
  }

  private async run(
    held: ReadonlyMap<string, ServedVersion>,
    inputs: unknown,
    options: EngineRunOptions,
  ): Promise<EngineCall> {
    const called: PredictionModelRef[] = [];
    const context: RoutineContext = {
      params: options.params ?? {},
      ...(options.signal ? { signal: options.signal } : {}),
      predict: async (step: string, x: unknown) => {
        const v = held.get(step);
        if (!v)
          throw invalid(
            ["model"],
            `routine '${this.name}' has no model '${String(step)}' (it has ${this.steps.join(", ")})`,
          );
        const checked = v.validateInputs(x);
        called.push(v.ref);
        const { outputs } = await v.run(checked);
        v.validateOutputs(outputs);
        return outputs as any;
      },
    };
    const { preprocess, run, postprocess } = this.spec;
    let value: unknown = preprocess ? await preprocess(inputs, context) : inputs;
    if (run) value = await run(value, context);
    else for (const step of this.steps) value = await context.predict(step, value);
    if (postprocess) value = await postprocess(value, context);
    if (called.length === 0)
      throw new MlcycleError(
        "PRECONDITION",
        `routine '${this.name}' answered without calling any of its models: every call must call at least one`,
      );
    return { outputs: value, models: called };
  }

  describe(): Omit<DeploymentDescription, "name" | "ref"> {
    const first = (this.bySlot.get(this.steps[0]) as ModelSlot).version;
    const v = first.model.version;
    const signature = signatureRecord(this.spec.signature);
    return {
      model: v.model,
      version: v.version,
      versionId: v.id,
      flavor: "routine",
      ...(v.featureService !== undefined ? { featureService: v.featureService } : {}),
      ...(signature ? { signature } : {}),
      models: this.slots.map((s) => s.version.ref),
    };
  }
}
