import { invalid, isMlcycleError, MlcycleError } from "../core/errors.js";
import { checkName, checkString } from "../core/validation.js";
import { checkActor } from "../registry/registry-validation.js";
import type { OnlineExperimentRecord } from "../stores/online-experiment-store.js";
import { tickBandit } from "./bandit-schedule.js";
import { type CanaryDeps, emitRolledBack, promoteCanary, rollbackChange, tickCanary } from "./canary-ramp.js";
import { stopChange, weightsChange } from "./experiment-changes.js";
import { changeExperiment, readExperiment } from "./experiment-writer.js";
import type { OnlineExperimentsOptions } from "./online-options.js";
import type { CanaryCheck, OnlineAudit, TickResult } from "./online-types.js";
import type { OpenExperiments } from "./open-experiments.js";

/** What {@link ExperimentControls} uses. */
export interface ExperimentControlsDeps {
  options: OnlineExperimentsOptions;
  opened: OpenExperiments;
  /** Writes this process's counts of an experiment to the store. */
  flushExperiment(name: string): Promise<void>;
}

/**
 * The changes made to running experiments — weights by hand, scheduled ticks of canaries and
 * bandits, rollback, promotion, stop — each a compare-and-set on the stored experiment with its audit
 * entry and event, followed at once by the routed deployment open in this workspace. `ws.online`
 * checks the arguments and calls these.
 */
export class ExperimentControls {
  private readonly checks = new Map<string, CanaryCheck>();

  constructor(private readonly deps: ExperimentControlsDeps) {}

  /** See `OnlineExperiments.setWeights`. */
  async setWeights(
    name: string,
    weights: Record<string, number>,
    audit: OnlineAudit = {},
  ): Promise<OnlineExperimentRecord> {
    if (typeof weights !== "object" || weights === null)
      throw invalid(["weights"], "must be an object variant → weight");
    const actor = checkActor(audit.actor);
    const reason = checkString("reason", audit.reason ?? "", 8000);
    const { record, change } = await changeExperiment(this.deps.options.store, this.deps.options.clock, name, (r) =>
      weightsChange(r, weights, actor, reason),
    );
    this.followLocally(record);
    if (change) {
      const total = record.variants.reduce((s, v) => s + v.weight, 0);
      this.deps.options.events.emit("online.weights_changed", {
        experiment: name,
        weights: Object.fromEntries(record.variants.map((v) => [v.name, v.weight / total])),
        reason: audit.reason ?? "",
        at: Math.floor(this.deps.options.clock.now()),
      });
    }
    return record;
  }

  /** See `OnlineExperiments.tick`. */
  async tick(name: string): Promise<TickResult> {
    const entry = this.deps.opened.entries.get(name);
    if (entry?.ticking) return entry.ticking;
    const run = this.runTick(name);
    if (entry) entry.ticking = run.finally(() => (entry.ticking = undefined));
    return run;
  }

  private async runTick(name: string): Promise<TickResult> {
    await this.deps.flushExperiment(name);
    const record = await readExperiment(this.deps.options.store, name);
    let result: TickResult;
    if (record.kind === "canary") result = await tickCanary(this.canaryDeps(name), name);
    else if (record.kind === "bandit") result = await tickBandit(this.deps.options, name);
    else return { experiment: name, action: "none", reason: `a ${record.kind} has no schedule` };
    await this.deps.opened.entries.get(name)?.routed.refresh();
    return result;
  }

  /** A tick run by the timer of an open experiment: a failure is recorded and announced (`online.tick_failed`). */
  async scheduledTick(name: string): Promise<void> {
    try {
      await this.tick(name);
    } catch (error) {
      this.deps.opened.entries.get(name)?.routed.recordError(error);
      this.deps.options.events.emit("online.tick_failed", {
        experiment: name,
        code: isMlcycleError(error) ? error.code : "INTERNAL",
        error: error instanceof Error ? error.message : String(error),
        at: Math.floor(this.deps.options.clock.now()),
      });
    }
  }

  /** See `OnlineExperiments.rollback`. */
  async rollback(name: string, audit: OnlineAudit = {}): Promise<OnlineExperimentRecord> {
    const actor = checkActor(audit.actor);
    const { record, change } = await changeExperiment(this.deps.options.store, this.deps.options.clock, name, (r) => {
      if (r.kind !== "canary")
        throw new MlcycleError("PRECONDITION", `'${name}' is a ${r.kind}, not a canary: stop it instead`, {
          details: { experiment: name },
        });
      if (r.status !== "running") return undefined;
      return rollbackChange(r, actor, checkString("reason", audit.reason ?? "rolled back by hand", 8000), "manual");
    });
    emitRolledBack(this.deps.options, name, change);
    this.followLocally(record);
    return record;
  }

  /** See `OnlineExperiments.promote`. */
  async promote(name: string, audit: OnlineAudit = {}): Promise<TickResult> {
    const record = await readExperiment(this.deps.options.store, name);
    if (record.kind !== "canary")
      throw new MlcycleError("PRECONDITION", `'${name}' is a ${record.kind}, not a canary`, {
        details: { experiment: name },
      });
    await this.deps.flushExperiment(name);
    const result = await promoteCanary(this.canaryDeps(name), name, {
      actor: checkActor(audit.actor),
      ...(audit.reason !== undefined ? { reason: audit.reason } : {}),
    });
    await this.deps.opened.entries.get(name)?.routed.refresh();
    if (result.action === "promotion_refused")
      throw new MlcycleError("PRECONDITION", `the registry refused the promotion of '${name}': ${result.reason}`, {
        details: { experiment: name },
      });
    return { experiment: name, ...result };
  }

  /** See `OnlineExperiments.stop`. */
  async stop(name: string, audit: OnlineAudit = {}): Promise<OnlineExperimentRecord> {
    const actor = checkActor(audit.actor);
    const reason = checkString("reason", audit.reason ?? "", 8000);
    const { record, change } = await changeExperiment(this.deps.options.store, this.deps.options.clock, name, (r) =>
      stopChange(r, actor, reason),
    );
    if (change)
      this.deps.options.events.emit("online.stopped", {
        experiment: name,
        reason,
        at: Math.floor(this.deps.options.clock.now()),
      });
    this.followLocally(record);
    return record;
  }

  /** See `OnlineExperiments.registerCheck`. */
  registerCheck(name: string, check: CanaryCheck): () => void {
    checkName("name", name);
    if (typeof check !== "function") throw invalid(["check"], "must be a function");
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  private canaryDeps(name: string): CanaryDeps {
    const { store, clock, events, registry } = this.deps.options;
    return {
      store,
      clock,
      events,
      registry,
      findCheck: (check) => this.deps.opened.entries.get(name)?.checks[check] ?? this.checks.get(check),
    };
  }

  private followLocally(record: OnlineExperimentRecord): void {
    this.deps.opened.entries.get(record.name)?.routed.apply(record);
  }
}
