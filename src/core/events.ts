import { EventEmitter } from "eventemitter3";

/**
 * The payloads of every workspace event, by name. Each domain module adds its own events to this
 * interface (declaration merging), so `ws.events.on(name, listener)` is typed for all of them.
 *
 * @example
 * ```ts
 * ws.events.on("run.ended", (e) => console.log(e.runId, e.status));
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each domain module
export interface MlcycleEvents {}

/** Listener signatures derived from {@link MlcycleEvents}. */
export type MlcycleEventListeners = {
  [K in keyof MlcycleEvents]: (payload: MlcycleEvents[K]) => void;
};

/**
 * The typed event bus of one workspace (`ws.events`). Listeners run synchronously when the event is
 * emitted; a listener that throws does not break the operation that emitted the event — the error
 * is re-emitted as `"listener.error"` when somebody listens for it.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly errorListeners = new Set<(error: unknown, event: string) => void>();

  /** Subscribes to one event; returns a function that unsubscribes. */
  on<K extends keyof MlcycleEvents>(event: K, listener: (payload: MlcycleEvents[K]) => void): () => void {
    this.emitter.on(event as string, listener);
    return () => this.off(event, listener);
  }

  /** Subscribes to the next occurrence of one event only. */
  once<K extends keyof MlcycleEvents>(event: K, listener: (payload: MlcycleEvents[K]) => void): () => void {
    this.emitter.once(event as string, listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link EventBus.on}. */
  off<K extends keyof MlcycleEvents>(event: K, listener: (payload: MlcycleEvents[K]) => void): void {
    this.emitter.off(event as string, listener);
  }

  /** Listens to errors thrown by other listeners. */
  onListenerError(listener: (error: unknown, event: string) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Emits an event to its listeners; a throwing listener never breaks the emitter. */
  emit<K extends keyof MlcycleEvents>(event: K, payload: MlcycleEvents[K]): void {
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
  listenerCount(event: keyof MlcycleEvents): number {
    return this.emitter.listenerCount(event as string);
  }

  /** Removes every listener. */
  clear(): void {
    this.emitter.removeAllListeners();
    this.errorListeners.clear();
  }
}
