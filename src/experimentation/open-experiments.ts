import { MlcycleError } from "../core/errors.js";
import type { Clock } from "../core/clock.js";
import type { OnlineExperimentRecord, OnlineExperimentStore } from "../stores/online-experiment-store.js";
import { deployVariants } from "./deploy-variants.js";
import { readExperiment } from "./experiment-writer.js";
import type { OnlineServing } from "./online-options.js";
import type { OutcomeRecorder } from "./online-outcomes.js";
import type { CanaryCheck, RoutingOptions, TickResult } from "./online-types.js";
import { RoutedDeployment } from "./routed-deployment.js";

/** One experiment open in this workspace: its routed deployment, its named checks, its timers. */
export interface OpenExperiment {
  routed: RoutedDeployment;
  checks: Record<string, CanaryCheck>;
  timers: NodeJS.Timeout[];
  /** The tick running now, so ticks of one experiment never overlap in a process. */
  ticking?: Promise<TickResult>;
}

/** What {@link OpenExperiments} uses. */
export interface OpenExperimentsDeps {
  serving: OnlineServing;
  store: OnlineExperimentStore;
  clock: Clock;
  random: () => number;
  outcomes: OutcomeRecorder;
  /** Called every `tickIntervalMs` for an open canary or bandit. */
  onTick(name: string): void;
}

/**
 * The experiments open in a workspace, by name: attaching one deploys its variants and builds its
 * routed deployment with its timers (re-reading the stored experiment every `pollIntervalMs`,
 * ticking every `tickIntervalMs`); closing the routed deployment removes it.
 */
export class OpenExperiments {
  readonly entries = new Map<string, OpenExperiment>();
  private readonly opening = new Set<string>();

  constructor(private readonly deps: OpenExperimentsDeps) {}

  /** `CONFLICT` when the experiment, or a routed deployment of this name, is open (or opening) here. */
  checkFree(experiment: string, deployment: string): void {
    if (this.entries.has(experiment) || this.opening.has(experiment))
      throw new MlcycleError("CONFLICT", `online experiment '${experiment}' is already open in this workspace`, {
        details: { experiment },
      });
    for (const e of this.entries.values())
      if (e.routed.name === deployment)
        throw new MlcycleError(
          "CONFLICT",
          `a routed deployment named '${deployment}' is open (experiment '${e.routed.experiment}'): close it, or give another { deployment }`,
          { details: { deployment } },
        );
  }

  /** Deploys the variants of a stored experiment and builds its routed deployment. */
  async attach(record: OnlineExperimentRecord, o: RoutingOptions): Promise<RoutedDeployment> {
    const name = record.name;
    this.checkFree(name, record.deployment);
    this.opening.add(name);
    try {
      const { serving, store, clock, outcomes, random } = this.deps;
      const { arms, shadow } = await deployVariants(serving, record, o.deploy);
      const entry: OpenExperiment = {
        routed: undefined as unknown as RoutedDeployment,
        checks: o.checks ?? {},
        timers: [],
      };
      const routed = new RoutedDeployment({
        experiment: name,
        name: record.deployment,
        kind: record.kind,
        arms,
        ...(shadow ? { shadow } : {}),
        record,
        store,
        pending: outcomes.pendingFor(name),
        clock,
        random,
        feedback: (id, fb) => outcomes.feedback(id, fb, name),
        read: () => readExperiment(store, name),
        onClosed: () => {
          for (const t of entry.timers) clearInterval(t);
          if (this.entries.get(name) === entry) this.entries.delete(name);
        },
      });
      entry.routed = routed;
      const poll = o.pollIntervalMs ?? 5000;
      if (poll !== false)
        entry.timers.push(setInterval(() => void routed.refresh().catch((e) => routed.recordError(e)), poll));
      const tick = o.tickIntervalMs ?? 10_000;
      if (tick !== false && (record.kind === "canary" || record.kind === "bandit"))
        entry.timers.push(setInterval(() => this.deps.onTick(name), tick));
      for (const t of entry.timers) t.unref?.();
      this.entries.set(name, entry);
      return routed;
    } finally {
      this.opening.delete(name);
    }
  }
}
