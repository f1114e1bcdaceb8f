import type { Clock } from "../core/clock.js";
import { isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import { checkString, checkText } from "../core/validation.js";
import type { ExperimentLifecycle, ExperimentRecord, TrackingStore } from "../stores/tracking-store.js";
import type { TrackingEvents } from "./tracking-events.js";
import {
  createExperimentOptionsSchema,
  experimentPatchSchema,
  listExperimentsOptionsSchema,
  parseOptions,
} from "./tracking-schemas.js";
import { checkDisplayName, checkTags, TRACKING_LIMITS } from "./tracking-validation.js";

/** An experiment: a named group of runs. */
export type Experiment = ExperimentRecord;

/** What {@link ExperimentCatalog} is built with ({@link Experiments} passes its own). */
export interface ExperimentCatalogOptions {
  store: TrackingStore;
  events: EventBus<TrackingEvents>;
  clock: Clock;
  /** Throws the closed error once the workspace is closed. */
  assertOpen(): void;
  /** Runs one store operation, wrapping driver errors (see `Experiments`). */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Experiment create, read, update and soft-delete behind {@link Experiments}, which delegates its
 * experiment methods here (their documentation lives on the facade).
 */
export class ExperimentCatalog {
  private readonly store: TrackingStore;
  private readonly events: EventBus<TrackingEvents>;
  private readonly clock: Clock;
  private readonly assertOpen: () => void;
  private readonly call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

  constructor(options: ExperimentCatalogOptions) {
    this.store = options.store;
    this.events = options.events;
    this.clock = options.clock;
    this.assertOpen = () => options.assertOpen();
    this.call = (operation, fn) => options.call(operation, fn);
  }

  /** See {@link Experiments.create}. */
  async create(name: string, opts: { description?: string; tags?: Record<string, string> } = {}): Promise<Experiment> {
    this.assertOpen();
    checkDisplayName("experiment name", name);
    parseOptions(createExperimentOptionsSchema, opts, "create options");
    if (opts.description !== undefined) checkString("description", opts.description, TRACKING_LIMITS.descriptionLength);
    const now = this.clock.now();
    const e: Experiment = {
      id: newId(),
      name,
      tags: checkTags(opts.tags, "experiment tags"),
      lifecycle: "active",
      createdAt: now,
      updatedAt: now,
    };
    if (opts.description !== undefined) e.description = opts.description;
    await this.call("create an experiment", () => this.store.createExperiment(e));
    this.events.emit("experiment.created", { experimentId: e.id, name: e.name });
    return e;
  }

  /** See {@link Experiments.find}. */
  async find(nameOrId: string): Promise<Experiment | undefined> {
    this.assertOpen();
    checkText("experiment", nameOrId, 1000);
    if (nameOrId === "") return undefined;
    return this.call("read an experiment", async () => {
      if (ULID_RE.test(nameOrId)) {
        const byId = await this.store.getExperiment(nameOrId);
        if (byId) return byId;
      }
      return this.store.getExperimentByName(nameOrId);
    });
  }

  /** See {@link Experiments.get}. */
  async get(nameOrId: string): Promise<Experiment> {
    const e = await this.find(nameOrId);
    if (!e) throw notFound("experiment", String(nameOrId));
    return e;
  }

  /** See {@link Experiments.getOrCreate}. */
  async getOrCreate(name: string): Promise<Experiment> {
    const found = await this.find(name);
    if (found) return this.usable(found);
    try {
      return await this.create(name);
    } catch (error) {
      if (!isMlcycleError(error, "CONFLICT")) throw error;
      return this.usable(await this.get(name));
    }
  }

  /** The experiment itself when runs may be added to it; `PRECONDITION` when it is deleted. */
  usable(e: Experiment): Experiment {
    if (e.lifecycle === "deleted")
      throw new MlcycleError("PRECONDITION", `experiment '${e.name}' is deleted; restore it to add runs`, {
        details: { experimentId: e.id },
      });
    return e;
  }

  /** See {@link Experiments.list}. */
  async list(opts: { lifecycle?: ExperimentLifecycle | "all"; limit?: number } = {}): Promise<Experiment[]> {
    this.assertOpen();
    const checked = parseOptions(listExperimentsOptionsSchema, opts, "list options");
    return this.call("list experiments", () => this.store.listExperiments(checked));
  }

  /** See {@link Experiments.rename}. */
  async rename(nameOrId: string, newName: string): Promise<Experiment> {
    this.assertOpen();
    checkDisplayName("experiment name", newName);
    const e = await this.get(nameOrId);
    return this.call("rename an experiment", () =>
      this.store.updateExperiment(e.id, { name: newName, updatedAt: this.clock.now() }),
    );
  }

  /** See {@link Experiments.update}. */
  async update(nameOrId: string, patch: { description?: string; tags?: Record<string, string> }): Promise<Experiment> {
    this.assertOpen();
    parseOptions(experimentPatchSchema, patch, "experiment patch");
    if (patch.description !== undefined)
      checkString("description", patch.description, TRACKING_LIMITS.descriptionLength);
    const tags = patch.tags === undefined ? undefined : checkTags(patch.tags, "experiment tags");
    const e = await this.get(nameOrId);
    return this.call("update an experiment", () =>
      this.store.updateExperiment(e.id, {
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(tags ? { tags } : {}),
        updatedAt: this.clock.now(),
      }),
    );
  }

  /** See {@link Experiments.delete}. */
  async delete(nameOrId: string): Promise<Experiment> {
    const e = await this.get(nameOrId);
    return this.call("delete an experiment", () =>
      this.store.updateExperiment(e.id, { lifecycle: "deleted", updatedAt: this.clock.now() }),
    );
  }

  /** See {@link Experiments.restore}. */
  async restore(nameOrId: string): Promise<Experiment> {
    const e = await this.get(nameOrId);
    return this.call("restore an experiment", () =>
      this.store.updateExperiment(e.id, { lifecycle: "active", updatedAt: this.clock.now() }),
    );
  }
}
