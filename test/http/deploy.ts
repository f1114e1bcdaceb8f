// Deployments for the HTTP tests. Until ws.serving lands this stands in for it, built on
// ws.registry.load with the same contract (validation, prediction ids, a log, feedback).
import { ulid } from "ulid";
import { MlcycleError, type PredictionRecord, type Workspace } from "../../src/index.js";
import type { Deployment } from "../../src/serving/deployment-types.js";

const logs = new WeakMap<Deployment, PredictionRecord[]>();

export async function deploy(ws: Workspace, ref: string): Promise<Deployment> {
  const model = await ws.registry.load(ref);
  const log: PredictionRecord[] = [];
  const feedback = new Map<string, unknown>();
  let inFlight = 0;
  let served = 0;
  let failed = 0;
  let state: "ready" | "closed" = "ready";
  const d: Deployment = {
    name: ref,
    ref,
    async predict(inputs, options) {
      inFlight++;
      const t = performance.now();
      try {
        void options;
        const outputs = await model.predict(inputs);
        const id = ulid();
        const latencyMs = performance.now() - t;
        const v = model.version;
        log.push({
          id,
          deployment: ref,
          model: v.model,
          version: v.version,
          versionId: v.id,
          rows: Array.isArray(inputs) ? inputs.length : 1,
          inputs,
          outputs,
          payload: "full",
          latencyMs,
          at: Date.now(),
        });
        served++;
        return {
          predictionId: id,
          outputs,
          model: v.model,
          version: v.version,
          models: [{ model: v.model, version: v.version, versionId: v.id }],
          latencyMs,
        };
      } catch (e) {
        failed++;
        throw e;
      } finally {
        inFlight--;
      }
    },
    async predictEntities() {
      throw new MlcycleError("PRECONDITION", "no feature service");
    },
    async predictBatch() {
      throw new MlcycleError("PRECONDITION", "not here");
    },
    async feedback(id, f) {
      if (!log.some((r) => r.id === id)) throw new MlcycleError("NOT_FOUND", `prediction '${id}' not found`);
      feedback.set(id, f);
    },
    describe() {
      const v = model.version;
      return {
        name: ref,
        ref,
        model: v.model,
        version: v.version,
        versionId: v.id,
        flavor: v.flavor,
        ...(v.signature ? { signature: v.signature } : {}),
      };
    },
    health() {
      const v = model.version;
      return {
        ready: state === "ready",
        state,
        model: v.model,
        version: v.version,
        inFlight,
        served,
        failed,
        logBacklog: 0,
      };
    },
    async flush() {},
    async close() {
      state = "closed";
      await model.close();
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
  logs.set(d, log);
  return d;
}

/** The predictions a deployment logged. */
export async function logged(_ws: Workspace, d: Deployment): Promise<PredictionRecord[]> {
  await d.flush();
  return logs.get(d) ?? [];
}
