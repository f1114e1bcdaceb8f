/**
 * The online experiment port: experiments that route a deployment's traffic between model versions
 * (fixed splits, canary ramps, shadows, bandits), their audit trail, and per-variant aggregates of
 * outcomes (mergeable sums, so millions of outcomes are analysed without keeping them).
 *
 * Built-ins: the memory store (the reference) and the SQL store; a third-party store is checked
 * with `onlineExperimentStoreSuite` from `mlcycle/testing`.
 */

/** How an experiment routes traffic. */
export type OnlineExperimentKind = "split" | "canary" | "shadow" | "bandit";

/** Where an experiment is in its life. */
export type OnlineExperimentStatus = "running" | "stopped" | "completed" | "rolled_back";

/** One arm of an experiment. */
export interface OnlineVariantRecord {
  /** Unique within the experiment, e.g. `control`, `treatment`, `stable`, `canary`. */
  name: string;
  /** The model reference it serves (`churn@champion`, `churn@4`…). */
  ref: string;
  /** Share of traffic, ≥ 0 (weights are normalised by their sum; a shadow's is its sampled share). */
  weight: number;
}

/** An experiment as stored. */
export interface OnlineExperimentRecord {
  id: string;
  /** Unique per store. */
  name: string;
  /** The deployment whose traffic it routes. */
  deployment: string;
  kind: OnlineExperimentKind;
  status: OnlineExperimentStatus;
  /** Mixed into the assignment hash, so two experiments on the same units assign independently. */
  salt: string;
  variants: OnlineVariantRecord[];
  /** Settings of the kind (canary steps and rules, bandit schedule…), JSON. */
  config: Record<string, unknown>;
  /** Progress of the kind (current canary step and when it began, bandit weights…), JSON. */
  state: Record<string, unknown>;
  /** Incremented by every update; updates name the revision they read (compare-and-set). */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** What {@link OnlineExperimentStore.createExperiment} takes. */
export type NewOnlineExperiment = Omit<OnlineExperimentRecord, "revision" | "updatedAt">;

/** A change to an experiment (members left out keep their value). */
export interface OnlineExperimentPatch {
  status?: OnlineExperimentStatus;
  variants?: OnlineVariantRecord[];
  config?: Record<string, unknown>;
  state?: Record<string, unknown>;
  updatedAt: number;
}

/** One entry of an experiment's audit trail. */
export interface OnlineExperimentEventRecord {
  /** Position in the experiment's trail, from 1 (assigned by the store). */
  seq: number;
  experiment: string;
  /** e.g. `started`, `weights_changed`, `ramp_step`, `rolled_back`, `promoted`, `stopped`. */
  action: string;
  actor: string;
  reason: string;
  details: Record<string, unknown>;
  at: number;
}

/**
 * Mergeable sums of one metric of one variant: n, Σy, Σy² and, for CUPED, Σx, Σx², Σxy of a
 * pre-period covariate (0 when none is tracked). Adding two is adding member by member.
 */
export interface AggregateSums {
  n: number;
  sum: number;
  sumSquares: number;
  covariateSum: number;
  covariateSumSquares: number;
  productSum: number;
}

/** The sums of one (variant, metric) of an experiment. */
export interface VariantAggregateRecord {
  variant: string;
  /** e.g. `exposures`, `reward`, `conversion`, `latency_ms`, `error`. */
  metric: string;
  sums: AggregateSums;
}

/** The online experiment port (see the file comment). */
export interface OnlineExperimentStore {
  /** Stores a new experiment at revision 1; `CONFLICT` when the name is taken. */
  createExperiment(experiment: NewOnlineExperiment): Promise<OnlineExperimentRecord>;
  /** An experiment by name, or undefined. */
  getExperiment(name: string): Promise<OnlineExperimentRecord | undefined>;
  /** Experiments, oldest first, optionally of one deployment and/or status. */
  listExperiments(filter?: { deployment?: string; status?: OnlineExperimentStatus }): Promise<OnlineExperimentRecord[]>;
  /**
   * Applies `patch` if the stored revision is `expectedRevision` and appends `event` (when given) to
   * the trail in the same write; returns the new record. `NOT_FOUND` for an unknown experiment,
   * `CONFLICT` (details.revision = the stored one) when another writer got there first — nothing is
   * written then.
   */
  updateExperiment(
    name: string,
    expectedRevision: number,
    patch: OnlineExperimentPatch,
    event?: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentRecord>;
  /** Appends an entry to the trail without changing the experiment; returns it with its `seq`. */
  appendEvent(
    name: string,
    event: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentEventRecord>;
  /** The trail, in order. */
  listEvents(name: string): Promise<OnlineExperimentEventRecord[]>;
  /**
   * Adds sums to (variant, metric) rows atomically (rows that do not exist start at zero), so
   * several processes can feed one experiment. `NOT_FOUND` for an unknown experiment.
   */
  addAggregates(name: string, deltas: readonly VariantAggregateRecord[]): Promise<void>;
  /** Every (variant, metric) row of an experiment. */
  getAggregates(name: string): Promise<VariantAggregateRecord[]>;
  /** Removes an experiment with its trail and aggregates; false when there was none. */
  deleteExperiment(name: string): Promise<boolean>;
}
