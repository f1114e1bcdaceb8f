import type { Clock } from "../core/clock.js";
import { isMlcycleError, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type {
  OnlineExperimentRecord,
  OnlineExperimentStore,
  OnlineVariantRecord,
} from "../stores/online-experiment-store.js";
import { bucketCounts, relayout, type BucketLayout } from "./bucket-layout.js";
import { type AggregateTable, aggregateTable, evaluateRules, windowStats } from "./canary-rules.js";
import { changeExperiment, type ExperimentChange } from "./experiment-writer.js";
import type { OnlineExperimentEvents } from "./online-events.js";
import type { CanaryCheck, CanaryRule, RuleResult, TickResult } from "./online-types.js";

/** The variant names of a canary. */
export const STABLE = "stable";
export const CANDIDATE = "canary";

/** A canary's stored settings (`record.config`). */
export interface CanaryConfig {
  steps: number[];
  bakeMs: number[];
  rules: CanaryRule[];
  promote: { model: string; alias: string } | null;
  minCallsPerStep: number;
  /** Who started it: the actor of its automatic changes and of the alias move. */
  actor: string;
}

/**
 * Where a canary is (`record.state`): the step and when it began, the aggregates at that moment (the
 * window's start), and its phase — `ramping`, `promoting` (the alias move is under way: retried by
 * the next tick if the process stopped), `refused` (the registry refused the move), `completed`,
 * `rolled_back`, `stopped`.
 */
export interface CanaryState {
  layout: BucketLayout;
  step: number;
  stepStartedAt: number;
  start: AggregateTable;
  phase: "ramping" | "promoting" | "refused" | "completed" | "rolled_back" | "stopped";
  promotion?: Record<string, unknown>;
}

/** What a canary's tick uses. */
export interface CanaryDeps {
  store: OnlineExperimentStore;
  clock: Clock;
  events: EventBus<OnlineExperimentEvents>;
  registry: Pick<ModelRegistry, "setAlias" | "resolve">;
  findCheck(name: string): CanaryCheck | undefined;
}

/** The variants of a canary at a percent. */
export function canaryVariants(stable: string, candidate: string, percent: number): OnlineVariantRecord[] {
  return [
    { name: STABLE, ref: stable, weight: 100 - percent },
    { name: CANDIDATE, ref: candidate, weight: percent },
  ];
}

/** The layout after moving to `percent` from `layout` (the candidate's units stay as it grows). */
export function canaryLayout(layout: BucketLayout, percent: number): BucketLayout {
  return relayout(
    layout,
    bucketCounts([
      { name: STABLE, weight: 100 - percent },
      { name: CANDIDATE, weight: percent },
    ]),
  );
}

/** A duration for a person: `850 ms`, `42 s`, `10 min`, `2.5 h`. */
function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}

const percentOf = (config: CanaryConfig, state: CanaryState) => config.steps[state.step];

/**
 * One tick of a canary: checks its rules on the current step's window (a failing rule rolls it back),
 * then advances it once the step has baked and every rule passed, and at the end of the ramp moves
 * the alias through the registry (its policies and gates apply). Every change is a compare-and-set
 * with its audit entry; a tick that lost a race decides again on what the winner wrote.
 */
export async function tickCanary(deps: CanaryDeps, name: string): Promise<TickResult> {
  const { store, clock } = deps;
  let rules: RuleResult[] = [];
  let outcome: Omit<TickResult, "experiment"> = { action: "none", reason: "not running" };
  const { record, change } = await changeExperiment(store, clock, name, async (r) => {
    const config = r.config as unknown as CanaryConfig;
    const state = r.state as unknown as CanaryState;
    rules = [];
    if (r.status !== "running") {
      outcome = { action: "none", reason: `the canary is ${r.status}` };
      return undefined;
    }
    if (state.phase === "promoting") {
      outcome = { action: "promoted", reason: "promotion under way" };
      return undefined;
    }
    if (state.phase === "refused") {
      outcome = {
        action: "held",
        reason: `the registry refused the promotion (${String(state.promotion?.error ?? "")}); call ws.online.promote once it may move`,
      };
      return undefined;
    }
    const now = Math.floor(clock.now());
    const table = aggregateTable(await store.getAggregates(name));
    const percent = percentOf(config, state);
    const context = {
      experiment: name,
      step: state.step,
      percent,
      stepStartedAt: state.stepStartedAt,
      now,
      stable: windowStats(table, state.start, STABLE),
      candidate: windowStats(table, state.start, CANDIDATE),
    };
    rules = await evaluateRules(config.rules, context, deps.findCheck);
    const failed = rules.find((x) => x.status === "fail");
    if (failed) {
      outcome = { action: "rolled_back", reason: `${failed.rule}: ${failed.reason}` };
      return rollbackChange(r, config.actor, `rule ${failed.rule} fired: ${failed.reason}`, failed.rule, rules);
    }
    const bake = config.bakeMs[state.step];
    if (now - state.stepStartedAt < bake) {
      outcome = {
        action: "held",
        reason: `step ${state.step} bakes for ${bake - (now - state.stepStartedAt)} ms more`,
      };
      return undefined;
    }
    const waiting = rules.find((x) => x.status !== "pass");
    if (waiting) {
      outcome = { action: "held", reason: `${waiting.rule} is ${waiting.status}: ${waiting.reason}` };
      return undefined;
    }
    if (context.candidate.calls < config.minCallsPerStep) {
      outcome = {
        action: "held",
        reason: `the candidate has ${context.candidate.calls} of ${config.minCallsPerStep} calls in step ${state.step}`,
      };
      return undefined;
    }
    if (state.step + 1 < config.steps.length) {
      const next = state.step + 1;
      const to = config.steps[next];
      outcome = { action: "advanced", reason: `step ${state.step} (${percent}%) passed; now ${to}%` };
      return {
        patch: {
          variants: canaryVariants(r.variants[0].ref, r.variants[1].ref, to),
          state: { ...state, layout: canaryLayout(state.layout, to), step: next, stepStartedAt: now, start: table },
        },
        event: {
          action: "ramp_step",
          actor: config.actor,
          reason: `step ${state.step} (${percent}%) baked ${duration(now - state.stepStartedAt)} with every rule passing`,
          details: { from: { step: state.step, percent }, to: { step: next, percent: to }, rules: rulesJson(rules) },
        },
      };
    }
    outcome = { action: "promoted", reason: "the ramp completed" };
    return config.promote
      ? { patch: { state: { ...state, phase: "promoting" } } }
      : completeChange(r, config.actor, "the ramp completed (no alias to move)", {});
  });
  if (change?.event?.action === "ramp_step") {
    const state = record.state as unknown as CanaryState;
    const percent = (record.config as unknown as CanaryConfig).steps[state.step];
    const at = clock.now();
    deps.events.emit("online.canary.advanced", { experiment: name, step: state.step, percent, at });
    deps.events.emit("online.weights_changed", {
      experiment: name,
      weights: { [STABLE]: (100 - percent) / 100, [CANDIDATE]: percent / 100 },
      reason: `canary step ${state.step}`,
      at,
    });
  } else if (change?.event?.action === "rolled_back") {
    emitRolledBack(deps, name, change);
  } else if (change?.event?.action === "completed") {
    outcome = { action: "promoted", reason: "the ramp completed (no alias to move)" };
  }
  if (outcome.action === "promoted" && (record.state as unknown as CanaryState).phase === "promoting") {
    return { experiment: name, ...(await promoteCanary(deps, name)), rules };
  }
  return { experiment: name, ...outcome, ...position(record), rules };
}

function position(record: OnlineExperimentRecord): Pick<TickResult, "step" | "percent" | "weights"> {
  const state = record.state as unknown as CanaryState;
  const config = record.config as unknown as CanaryConfig;
  const total = record.variants.reduce((s, v) => s + v.weight, 0);
  return {
    step: state.step,
    percent: config.steps[state.step],
    weights: Object.fromEntries(record.variants.map((v) => [v.name, total > 0 ? v.weight / total : 0])),
  };
}

function rulesJson(rules: RuleResult[]): Array<Record<string, unknown>> {
  return rules.map((r) => ({
    ...r,
    ...(r.observed !== undefined && !Number.isFinite(r.observed) ? { observed: null } : {}),
  }));
}

/** The change that rolls a canary back: every call to stable, status `rolled_back`, with its audit entry. */
export function rollbackChange(
  r: OnlineExperimentRecord,
  actor: string,
  reason: string,
  rule: string,
  rules: RuleResult[] = [],
): ExperimentChange {
  const state = r.state as unknown as CanaryState;
  const config = r.config as unknown as CanaryConfig;
  return {
    patch: {
      status: "rolled_back",
      variants: canaryVariants(r.variants[0].ref, r.variants[1].ref, 0),
      state: { ...state, layout: canaryLayout(state.layout, 0), phase: "rolled_back" },
    },
    event: {
      action: "rolled_back",
      actor,
      reason,
      details: { rule, step: state.step, percent: config.steps[state.step], rules: rulesJson(rules) },
    },
  };
}

/** Emits `online.rolled_back` and the weights change for a canary just rolled back by `change`. */
export function emitRolledBack(
  deps: Pick<CanaryDeps, "events" | "clock">,
  name: string,
  change: ExperimentChange | undefined,
): void {
  if (change?.event?.action !== "rolled_back") return;
  const details = change.event.details as { rule: string; step: number; percent: number };
  const at = deps.clock.now();
  deps.events.emit("online.rolled_back", {
    experiment: name,
    step: details.step,
    percent: details.percent,
    rule: details.rule,
    reason: change.event.reason,
    at,
  });
  deps.events.emit("online.weights_changed", {
    experiment: name,
    weights: { [STABLE]: 1, [CANDIDATE]: 0 },
    reason: "rolled back",
    at,
  });
}

function completeChange(
  r: OnlineExperimentRecord,
  actor: string,
  reason: string,
  promotion: Record<string, unknown>,
  action = "completed",
): ExperimentChange {
  const state = r.state as unknown as CanaryState;
  return {
    patch: {
      status: "completed",
      variants: canaryVariants(r.variants[0].ref, r.variants[1].ref, 100),
      state: { ...state, layout: canaryLayout(state.layout, 100), phase: "completed", promotion },
    },
    event: { action, actor, reason, details: promotion },
  };
}

/**
 * Moves the promotion alias to the candidate's version (through `ws.registry.setAlias`: policies and
 * gates apply) and completes the canary with a `promoted` audit entry. A refused move is recorded —
 * a `promotion_refused` entry, the `online.promotion_refused` event, the phase `refused` — and the
 * canary holds at its last step until this is called again and succeeds.
 */
export async function promoteCanary(
  deps: CanaryDeps,
  name: string,
  audit: { actor?: string; reason?: string } = {},
): Promise<Omit<TickResult, "experiment">> {
  const { store, clock, registry, events } = deps;
  const first = await changeExperiment(store, clock, name, (r) => {
    const state = r.state as unknown as CanaryState;
    if (r.status !== "running")
      throw new MlcycleError("PRECONDITION", `canary '${name}' is ${r.status}: only a running canary can be promoted`, {
        details: { experiment: name, status: r.status },
      });
    return state.phase === "promoting" ? undefined : { patch: { state: { ...state, phase: "promoting" } } };
  });
  const config = first.record.config as unknown as CanaryConfig;
  const actor = audit.actor ?? config.actor;
  const target = config.promote;
  if (!target) {
    const done = await changeExperiment(store, clock, name, (r) =>
      r.status === "running" ? completeChange(r, actor, audit.reason ?? "completed by hand", {}) : undefined,
    );
    return { action: "promoted", reason: "completed (no alias to move)", ...position(done.record) };
  }
  const candidateRef = first.record.variants[1].ref;
  const version = (await registry.resolve(candidateRef)).version.version;
  let move: Awaited<ReturnType<ModelRegistry["setAlias"]>>;
  try {
    move = await registry.setAlias(target.model, target.alias, version, {
      actor,
      reason: audit.reason ?? `canary '${name}' completed its ramp (${config.steps.join(" → ")} %)`,
    });
  } catch (error) {
    const code = isMlcycleError(error) ? error.code : "INTERNAL";
    const message = error instanceof Error ? error.message : String(error);
    const refused = await changeExperiment(store, clock, name, (r) => {
      const state = r.state as unknown as CanaryState;
      if (r.status !== "running") return undefined;
      const promotion = { model: target.model, alias: target.alias, version, code, error: message };
      return {
        patch: { state: { ...state, phase: "refused", promotion } },
        event: { action: "promotion_refused", actor, reason: message, details: promotion },
      };
    });
    events.emit("online.promotion_refused", {
      experiment: name,
      model: target.model,
      alias: target.alias,
      version,
      code,
      error: message,
      at: clock.now(),
    });
    return { action: "promotion_refused", reason: message, ...position(refused.record) };
  }
  const promotion = {
    model: target.model,
    alias: target.alias,
    ...(move.from !== undefined ? { from: move.from } : {}),
    to: version,
    aliasMovedAt: move.at,
  };
  const done = await changeExperiment(store, clock, name, (r) =>
    r.status === "running"
      ? completeChange(r, actor, `${target.model}@${target.alias} → version ${version}`, promotion, "promoted")
      : undefined,
  );
  // Two processes may finish one ramp at once: the one whose write completed it announces it.
  if (done.change)
    events.emit("online.promoted", {
      experiment: name,
      model: target.model,
      alias: target.alias,
      ...(move.from !== undefined ? { from: move.from } : {}),
      to: version,
      at: clock.now(),
    });
  return {
    action: "promoted",
    reason: `${target.model}@${target.alias} → version ${version}`,
    ...position(done.record),
  };
}
