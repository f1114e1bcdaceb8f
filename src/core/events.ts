import { EventEmitter } from "eventemitter3";

/** Listener signatures derived from an event map (event name → payload). */
export type EventListeners<E extends object> = {
  [K in keyof E]: (payload: E[K]) => void;
};

/**
 * A typed event bus over an event map (event name → payload); a workspace's is `ws.events`, typed
 * with every domain's events (`MlcycleEvents`). Listeners run synchronously when the event is
 * emitted; a listener that throws does not break the operation that emitted the event — the error
 * goes to the listeners registered with {@link EventBus.onListenerError}.
 *
 * @example
 * ```ts
 * const bus = new EventBus<{ "job.done": { id: string } }>();
 * bus.on("job.done", (e) => console.log(e.id));
 * ```
 */
export class EventBus<E extends object = Record<string, unknown>> {
  private readonly emitter = new EventEmitter();
  private readonly errorListeners = new Set<(error: unknown, event: string) => void>();

  /** Subscribes to one event; returns a function that unsubscribes. */
  on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): () => void {
    this.emitter.on(event as string, listener);
    return () => this.off(event, listener);
  }

  /** Subscribes to the next occurrence of one event only. */
  once<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): () => void {
    this.emitter.once(event as string, listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link EventBus.on}. */
  off<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): void {
    this.emitter.off(event as string, listener);
  }

  /** Listens to errors thrown by other listeners. */
  onListenerError(listener: (error: unknown, event: string) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Emits an event to its listeners; a throwing listener never breaks the emitter. */
  emit<K extends keyof E & string>(event: K, payload: E[K]): void {
    if (this.emitter.listenerCount(event as string) === 0) return;
    const listeners = this.emitter.listeners(event as string);
    for (const l of listeners) {
      try {
        (l as (p: unknown) => void)(payload);
      } catch (error) {
        for (const el of this.errorListeners) el(error, event as string);
      }
    }
  }

  /** Number of listeners for an event. */
  listenerCount(event: keyof E & string): number {
    return this.emitter.listenerCount(event as string);
  }

  /** Removes every listener. */
  clear(): void {
    this.emitter.removeAllListeners();
    this.errorListeners.clear();
  }
}
