import { closedError } from "../../core/errors.js";
import {
  checkOut,
  type PostgresNotification,
  type PostgresPoolClientLike,
  type PostgresPoolLike,
} from "./postgres-pool.js";

/** Options of {@link PostgresListener}. */
export interface PostgresListenerOptions {
  /** The first pause before connecting again after the listening connection broke, in ms (default 100, doubling to 5 s). */
  reconnectDelayMs?: number;
  /** Receives errors of the listening connection (it is re-established in the background). Default: ignored. */
  onError?(error: unknown): void;
}

type Listener = (payload: string) => void;

/**
 * `LISTEN` on one client of the pool, held apart for it while anything listens and given back when
 * nothing does: every channel of a database handle shares that client, and each notification goes
 * to the listeners of its channel. When the connection breaks (the server restarted, a network cut)
 * the client is destroyed and another one takes up every channel after a pause; notifications sent
 * in between are lost, which is why the readers that rely on them also poll.
 */
export class PostgresListener {
  private client: PostgresPoolClientLike | undefined;
  /** Every operation on the client, one at a time (pg queues queries, but connecting must not race). */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly channels = new Map<string, Set<Listener>>();
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private delay: number;

  constructor(
    private readonly pool: PostgresPoolLike,
    private readonly options: PostgresListenerOptions = {},
  ) {
    this.delay = options.reconnectDelayMs ?? 100;
  }

  /** Calls `listener` with each payload notified on `channel` (a PostgreSQL channel name) until the returned function is called. */
  async listen(channel: string, listener: Listener): Promise<() => Promise<void>> {
    if (this.closed) throw closedError("the PostgreSQL store");
    let set = this.channels.get(channel);
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(listener);
    try {
      await this.serially(async () => {
        const client = await this.connected();
        await client.query({ text: `listen ${quoteIdentifier(channel)}` });
      });
    } catch (error) {
      await this.remove(channel, listener);
      throw error;
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      await this.remove(channel, listener);
    };
  }

  /** Stops listening and gives the client back. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.channels.clear();
    await this.serially(() => this.giveBack());
  }

  private async remove(channel: string, listener: Listener): Promise<void> {
    const set = this.channels.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.channels.delete(channel);
    await this.serially(async () => {
      if (this.channels.has(channel) || !this.client) return;
      if (this.channels.size === 0) await this.giveBack();
      else await this.client.query({ text: `unlisten ${quoteIdentifier(channel)}` });
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private readonly onNotification = (message: PostgresNotification) => {
    const set = this.channels.get(message.channel);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(message.payload ?? "");
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  };

  private readonly onError = (error: Error) => {
    this.options.onError?.(error);
    const broken = this.client;
    if (!broken) return;
    this.detach(broken);
    this.client = undefined;
    broken.release(error);
    this.reconnectLater();
  };

  private async connected(): Promise<PostgresPoolClientLike> {
    if (this.client) return this.client;
    const client = await checkOut(this.pool);
    client.on("notification", this.onNotification);
    client.on("error", this.onError);
    this.client = client;
    return client;
  }

  private reconnectLater(): void {
    if (this.closed || this.retry || this.channels.size === 0) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.serially(async () => {
        if (this.closed || this.client || this.channels.size === 0) return;
        try {
          const client = await this.connected();
          for (const channel of this.channels.keys())
            await client.query({ text: `listen ${quoteIdentifier(channel)}` });
          this.delay = this.options.reconnectDelayMs ?? 100;
        } catch (error) {
          this.options.onError?.(error);
          const failed = this.client as PostgresPoolClientLike | undefined;
          if (failed) {
            this.detach(failed);
            this.client = undefined;
            failed.release(error instanceof Error ? error : true);
          }
          this.delay = Math.min(5000, this.delay * 2);
          this.reconnectLater();
        }
      });
    }, this.delay);
    this.retry.unref?.();
  }

  private async giveBack(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    try {
      await client.query({ text: "unlisten *" });
      this.detach(client);
      client.release();
    } catch (error) {
      this.detach(client);
      client.release(error instanceof Error ? error : true);
    }
  }

  private detach(client: PostgresPoolClientLike): void {
    client.removeListener("notification", this.onNotification);
    client.removeListener("error", this.onError);
  }
}

/** A channel or other name as a quoted SQL identifier. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
