import type { Clock } from "../core/clock.js";
import { invalid, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { hashValue } from "../core/hash.js";
import { checkName, checkString } from "../core/validation.js";
import { parseGate } from "../evaluation/index.js";
import type {
  AliasPolicyRecord,
  ApprovalRecord,
  ModelVersionRecord,
  RegisteredModelRecord,
  RegistryStore,
} from "../stores/registry-store.js";
import type { ModelRef } from "./model-ref.js";
import type { ModelResolver } from "./model-resolver.js";
import type { RegistryEvents } from "./registry-events.js";
import type { AliasPolicy, PolicyOptions } from "./registry-types.js";
import { checkActor, checkAlias } from "./registry-validation.js";

/**
 * What an alias requires of a version before it may point there (an approval, a passing result of
 * a gate), the approvals given, and the check every alias move runs.
 */
export class AliasPolicies {
  constructor(
    private readonly deps: {
      store: RegistryStore;
      clock: Clock;
      events: EventBus<RegistryEvents>;
      resolver: ModelResolver;
    },
  ) {}

  /** See `ModelRegistry.setPolicy`. */
  async set(name: string, alias: string, policy: PolicyOptions): Promise<AliasPolicy> {
    checkAlias(alias);
    const model = await this.deps.resolver.model(name);
    const gateObject = typeof policy.gate === "object" && policy.gate !== null ? parseGate(policy.gate) : undefined;
    const gate = gateObject ? gateObject.name : (policy.gate as string | undefined);
    if (gate !== undefined) checkName("gate", gate);
    if (policy.requireApproval !== undefined && typeof policy.requireApproval !== "boolean")
      throw invalid(["requireApproval"], "must be a boolean");
    const rec: AliasPolicyRecord = {
      modelId: model.id,
      alias,
      requireApproval: policy.requireApproval ?? false,
      ...(gate !== undefined ? { gate } : {}),
      ...(gateObject ? { gateDigest: hashValue(gateObject) } : {}),
      updatedAt: this.deps.clock.now(),
    };
    await this.deps.store.setPolicy(model.id, alias, rec);
    return toPolicy(model.name, rec);
  }

  /** See `ModelRegistry.getPolicy`. */
  async get(name: string, alias: string): Promise<AliasPolicy | undefined> {
    const model = await this.deps.resolver.model(name);
    const p = await this.deps.store.getPolicy(model.id, alias);
    return p ? toPolicy(model.name, p) : undefined;
  }

  /** See `ModelRegistry.removePolicy`. */
  async remove(name: string, alias: string): Promise<void> {
    const model = await this.deps.resolver.model(name);
    await this.deps.store.setPolicy(model.id, alias, undefined);
  }

  /** See `ModelRegistry.approve`. */
  async approve(ref: ModelRef, options: { actor?: string; comment?: string } = {}): Promise<ApprovalRecord> {
    const { model, version } = await this.deps.resolver.resolve(ref);
    const rec = await this.deps.store.addApproval({
      versionId: version.id,
      actor: checkActor(options.actor),
      comment: checkString("comment", options.comment ?? "", 10_000),
      at: this.deps.clock.now(),
    });
    this.deps.events.emit("model.approval.given", {
      model: model.name,
      version: version.version,
      versionId: version.id,
      actor: rec.actor,
      comment: rec.comment,
      at: rec.at,
    });
    return rec;
  }

  /** See `ModelRegistry.approvals`. */
  async approvals(ref: ModelRef): Promise<ApprovalRecord[]> {
    const { version } = await this.deps.resolver.resolve(ref);
    return this.deps.store.listApprovals(version.id);
  }

  /**
   * Refuses (`PRECONDITION`, naming what is missing and how to record it) a move of `alias` to a
   * version that lacks what the alias's policy requires; passes when the alias has no policy.
   * `policy` is the alias's policy as the caller read it with the alias (undefined: none).
   */
  async check(
    model: RegisteredModelRecord,
    alias: string,
    version: ModelVersionRecord,
    policy: AliasPolicyRecord | undefined,
  ): Promise<void> {
    const { store } = this.deps;
    if (!policy) return;
    const missing: string[] = [];
    const hints: string[] = [];
    if (policy.requireApproval) {
      const approvals = await store.listApprovals(version.id);
      if (approvals.length === 0) {
        missing.push("an approval");
        hints.push(`ws.registry.approve("${model.name}@${version.version}", { actor })`);
      }
    }
    if (policy.gate !== undefined) {
      const named = (await store.listEvaluations(version.id)).filter((e) => e.gate === policy.gate);
      const results =
        policy.gateDigest === undefined
          ? named
          : named.filter((e) => {
              const g = (e.result.gateResult as { gate?: unknown } | undefined)?.gate;
              return g !== undefined && hashValue(g) === policy.gateDigest;
            });
      const last = results.at(-1);
      if (!last?.passed) {
        missing.push(
          last
            ? `a passing result of gate '${policy.gate}' (the latest failed)`
            : named.length > results.length
              ? `a result of gate '${policy.gate}' as the policy defines it (stored results used another definition)`
              : `a result of gate '${policy.gate}'`,
        );
        hints.push(`ws.registry.evaluate(…, { gate }) or recordEvaluation()`);
      }
    }
    if (missing.length)
      throw new MlcycleError(
        "PRECONDITION",
        `alias '${model.name}@${alias}' requires ${missing.join(" and ")} for version ${version.version}; ` +
          `record it with ${hints.join(" / ")}`,
        {
          details: {
            model: model.name,
            alias,
            version: version.version,
            missing: [
              ...(policy.requireApproval && missing.some((m) => m.includes("approval")) ? ["approval"] : []),
              ...(policy.gate !== undefined && missing.some((m) => m.includes("gate")) ? [`gate:${policy.gate}`] : []),
            ],
          },
        },
      );
  }
}

function toPolicy(model: string, p: AliasPolicyRecord): AliasPolicy {
  return {
    model,
    alias: p.alias,
    requireApproval: p.requireApproval,
    ...(p.gate !== undefined ? { gate: p.gate } : {}),
    ...(p.gateDigest !== undefined ? { gateDigest: p.gateDigest } : {}),
    updatedAt: p.updatedAt,
  };
}
