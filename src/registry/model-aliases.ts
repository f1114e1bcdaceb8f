import type { Clock } from "../core/clock.js";
import { invalid, MlcycleError, notFound } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { checkString } from "../core/validation.js";
import type { AliasEventRecord, RegisteredModelRecord, RegistryStore } from "../stores/registry-store.js";
import type { AliasPolicies } from "./alias-policies.js";
import type { ModelRef } from "./model-ref.js";
import type { ModelResolver } from "./model-resolver.js";
import type { RegistryEvents } from "./registry-events.js";
import type { AliasMove, AuditOptions } from "./registry-types.js";
import { auditSchema, checkStringArgument, parseArgument } from "./registry-arguments.js";
import { checkActor, checkAlias } from "./registry-validation.js";

/** Alias moves — set, rollback, delete — each atomic, audited and announced as `model.alias.moved`. */
export class ModelAliases {
  constructor(
    private readonly deps: {
      store: RegistryStore;
      clock: Clock;
      events: EventBus<RegistryEvents>;
      resolver: ModelResolver;
      policies: AliasPolicies;
    },
  ) {}

  /** See `ModelRegistry.setAlias` (its arguments are checked here). */
  async set(name: string, alias: string, target: number | ModelRef, audit: AuditOptions = {}): Promise<AliasMove> {
    const { store, resolver } = this.deps;
    checkStringArgument("model", name);
    checkAlias(alias);
    if (typeof target === "number" && (!Number.isInteger(target) || target < 1))
      throw invalid(["target"], `must be a positive integer version or a reference, got ${target}`);
    audit = parseArgument("audit", auditSchema, audit);
    const model = await resolver.model(name);
    const version =
      typeof target === "number" ? await resolver.version(model, target) : (await resolver.resolve(target)).version;
    if (version.modelId !== model.id)
      throw invalid(["target"], `version ${version.id} belongs to another model than '${model.name}'`);
    const actor = checkActor(audit.actor);
    const reason = checkString("reason", audit.reason ?? "", 10_000);
    // The move is a compare-and-set on the version the policies were checked against. When another
    // process moved the alias in between, the policies are checked again on what it points at now
    // and the move is tried again: a plain set is last-writer-wins, and each audited move still
    // starts where the one before it ended.
    for (let attempt = 1; ; attempt++) {
      // One read of the alias and its policy: what the no-op answer, the policies and the
      // compare-and-set need.
      const state = store.getAliasState
        ? await store.getAliasState(model.id, alias)
        : { alias: await store.getAlias(model.id, alias), policy: await store.getPolicy(model.id, alias) };
      const current = state.alias;
      if (current?.version === version.version) {
        // Nothing moves, so nothing is audited: answer with the move that put the alias there.
        const [last] = await store.aliasEvents(model.id, alias, 1);
        if (last) {
          const { modelId: _m, ...rest } = last;
          return { ...rest, model: model.name };
        }
      }
      await this.deps.policies.check(model, alias, version, state.policy);
      try {
        return await this.move(model, alias, {
          action: "set",
          to: version.version,
          actor,
          reason,
          expected: current?.version ?? null,
        });
      } catch (error) {
        if (!movedMeanwhile(error) || attempt >= MAX_SET_ATTEMPTS) throw error;
      }
    }
  }

  /** See `ModelRegistry.rollback`. */
  async rollback(name: string, alias: string, audit: AuditOptions = {}): Promise<AliasMove> {
    const { store, resolver } = this.deps;
    checkAlias(alias);
    const model = await resolver.model(name);
    const current = await store.getAlias(model.id, alias);
    if (!current) throw notFound("alias", `${model.name}@${alias}`);
    const history = await store.aliasEvents(model.id, alias, 100_000);
    let pending = 0;
    let target: number | undefined;
    let found = false;
    for (const e of history) {
      if (e.action === "rollback") {
        pending++;
        continue;
      }
      if (pending > 0) {
        pending--;
        continue;
      }
      target = e.from;
      found = true;
      break;
    }
    if (!found || target === undefined)
      throw new MlcycleError(
        "PRECONDITION",
        `alias '${model.name}@${alias}' has no earlier version to roll back to (it points at version ${current.version})`,
        { details: { model: model.name, alias } },
      );
    await resolver.version(model, target);
    return this.move(model, alias, {
      action: "rollback",
      to: target,
      actor: checkActor(audit.actor),
      reason: checkString("reason", audit.reason ?? "", 10_000),
      expected: current.version,
    });
  }

  /** See `ModelRegistry.deleteAlias`. */
  async delete(name: string, alias: string, audit: AuditOptions = {}): Promise<AliasMove> {
    checkAlias(alias);
    const model = await this.deps.resolver.model(name);
    const current = await this.deps.store.getAlias(model.id, alias);
    if (!current) throw notFound("alias", `${model.name}@${alias}`);
    return this.move(model, alias, {
      action: "delete",
      actor: checkActor(audit.actor),
      reason: checkString("reason", audit.reason ?? "", 10_000),
      expected: current.version,
    });
  }

  /** See `ModelRegistry.aliases`. */
  async current(name: string): Promise<Record<string, number>> {
    const model = await this.deps.resolver.model(name);
    return Object.fromEntries((await this.deps.store.listAliases(model.id)).map((a) => [a.alias, a.version]));
  }

  /** See `ModelRegistry.aliasHistory`. */
  async history(name: string, alias?: string, options: { limit?: number } = {}): Promise<AliasMove[]> {
    const model = await this.deps.resolver.model(name);
    if (alias !== undefined) checkAlias(alias);
    const rows = await this.deps.store.aliasEvents(model.id, alias, options.limit ?? 1000);
    return rows.map(({ modelId: _m, ...e }) => ({ ...e, model: model.name }));
  }

  private async move(
    model: RegisteredModelRecord,
    alias: string,
    m: { action: AliasEventRecord["action"]; to?: number; actor: string; reason: string; expected: number | null },
  ): Promise<AliasMove> {
    const e = await this.deps.store.moveAlias(model.id, alias, {
      action: m.action,
      ...(m.to !== undefined ? { to: m.to } : {}),
      actor: m.actor,
      reason: m.reason,
      at: this.deps.clock.now(),
      expected: m.expected,
    });
    const { modelId: _m, ...rest } = e;
    this.deps.events.emit("model.alias.moved", {
      model: model.name,
      alias,
      action: e.action,
      ...(e.from !== undefined ? { from: e.from } : {}),
      ...(e.to !== undefined ? { to: e.to } : {}),
      actor: e.actor,
      reason: e.reason,
      at: e.at,
    });
    return { ...rest, model: model.name };
  }
}

/** How many times `set` checks and tries its move while other processes keep moving the alias. */
const MAX_SET_ATTEMPTS = 50;

/** True for the store's refusal of a move whose expected current version no longer holds. */
function movedMeanwhile(error: unknown): boolean {
  return error instanceof MlcycleError && error.code === "CONFLICT" && "found" in error.details;
}
