import type { AliasMoveNotice, RegistryStore } from "../stores/registry-store.js";

/** An alias move made by any process on the registry's store, as {@link AliasMoveFeed} reports it. */
export interface AliasMoveSeen {
  /** The registered model's name (as it is now). */
  model: string;
  alias: string;
  action: AliasMoveNotice["action"];
  from?: number;
  to?: number;
  at: number;
}

type Listener = (move: AliasMoveSeen) => void;

/**
 * Alias moves of every process using the registry's store, for deployments that follow an alias: one
 * subscription to the store's `subscribeAliasMoves` (e.g. PostgreSQL's `LISTEN`) shared by all the
 * registry's listeners, taken with the first and dropped with the last, each notice's model id
 * turned into its name once. Absent when the store cannot announce moves across processes.
 */
export class AliasMoveFeed {
  private readonly listeners = new Set<Listener>();
  private subscription: Promise<() => Promise<void>> | undefined;

  constructor(
    private readonly store: RegistryStore,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** True when the store announces moves across processes. */
  get supported(): boolean {
    return typeof this.store.subscribeAliasMoves === "function";
  }

  /**
   * Calls `listener` with each move from now on, until the returned function is called; resolves once
   * the store listens. Rejects as the store's subscription does (nothing is then kept).
   */
  async watch(listener: Listener): Promise<() => Promise<void>> {
    const subscribe = this.store.subscribeAliasMoves?.bind(this.store);
    if (!subscribe) return async () => undefined;
    this.listeners.add(listener);
    const subscription = (this.subscription ??= subscribe((notice) => void this.dispatch(notice)));
    try {
      await subscription;
    } catch (error) {
      this.listeners.delete(listener);
      if (this.subscription === subscription) this.subscription = undefined;
      throw error;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.close();
    };
  }

  /** Drops the store subscription (listeners added later take a new one). */
  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (!subscription) return;
    const unsubscribe = await subscription.catch(() => undefined);
    await unsubscribe?.();
  }

  private async dispatch(notice: AliasMoveNotice): Promise<void> {
    if (this.listeners.size === 0) return;
    try {
      const model = await this.store.getModelById(notice.modelId);
      if (!model) return;
      const move: AliasMoveSeen = { model: model.name, alias: notice.alias, action: notice.action, at: notice.at };
      if (notice.from !== undefined) move.from = notice.from;
      if (notice.to !== undefined) move.to = notice.to;
      for (const listener of [...this.listeners]) listener(move);
    } catch (error) {
      this.onError(error);
    }
  }
}
