import type { DeploymentEngine, EngineLease } from "./deployment-engine.js";
import type { DeploymentDescription } from "./deployment-types.js";
import type { ModelSlot } from "./model-slot.js";

/** The engine of a one-model deployment: each call holds the version serving when it was made. */
export class ModelEngine implements DeploymentEngine {
  readonly usesParams = false;
  readonly slots: readonly ModelSlot[];

  constructor(
    readonly ref: string,
    private readonly slot: ModelSlot,
  ) {
    this.slots = [slot];
  }

  acquire(): EngineLease {
    return this.slot.acquire();
  }

  describe(): Omit<DeploymentDescription, "name" | "ref"> {
    const { model } = this.slot.version;
    const v = model.version;
    return {
      model: v.model,
      version: v.version,
      versionId: v.id,
      flavor: model.flavor,
      ...(v.featureService !== undefined ? { featureService: v.featureService } : {}),
      ...(v.signature ? { signature: { ...v.signature } } : {}),
    };
  }
}
