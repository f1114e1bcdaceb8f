import { invalid, MlcycleError } from "../../core/errors.js";

/**
 * A connection the adapter made from yours with `duplicate()` and closes itself: BullMQ's queue
 * shares it, its worker and event reader duplicate it again for their blocking reads.
 */
export interface BullmqOwnConnection {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * The subset of an ioredis client (`new Redis(url)`, ioredis 5 or 6) the BullMQ adapter uses, typed
 * structurally so that a project without ioredis still type-checks. The adapter sends nothing on
 * your client and never closes it: it opens its own connections with `duplicate()` (with
 * `maxRetriesPerRequest: null`, as BullMQ's blocking reads need) and closes those.
 */
export interface BullmqConnectionLike {
  duplicate(override?: { maxRetriesPerRequest?: null; connectionName?: string }): BullmqOwnConnection;
  /** The client's options: a `keyPrefix` is refused (BullMQ has its own `prefix`). */
  readonly options?: { readonly keyPrefix?: unknown };
  /** True on an ioredis `Cluster` (not supported by this adapter). */
  readonly isCluster?: boolean;
}

/** Checks that `value` is an ioredis client the adapter can duplicate; `VALIDATION` saying what to pass. */
export function checkConnection(value: unknown, what: string): BullmqConnectionLike {
  const client = value as Partial<BullmqConnectionLike> | null;
  if (client === null || typeof client !== "object" || typeof client.duplicate !== "function")
    throw invalid(
      [what],
      "must be your ioredis client (`new Redis(url)`): the adapter opens its own connections from it with duplicate(); connection options or a URL are not taken",
    );
  if (client.isCluster === true)
    throw invalid([what], "an ioredis Cluster is not supported: pass a client of a standalone Redis (or Sentinel)");
  const keyPrefix = client.options?.keyPrefix;
  if (typeof keyPrefix === "string" && keyPrefix.length > 0)
    throw invalid(
      [what],
      `the client has keyPrefix '${keyPrefix}', which BullMQ cannot work with: pass a client without it and set the adapter's \`prefix\` option instead`,
    );
  return client as BullmqConnectionLike;
}

/** A driver error as an `UNAVAILABLE` {@link MlcycleError} saying what failed, with the error as `cause`. */
export function bullmqError(what: string, error: unknown): MlcycleError {
  if (error instanceof MlcycleError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MlcycleError("UNAVAILABLE", `BullMQ executor: ${what} failed: ${message}`, { cause: error });
}
