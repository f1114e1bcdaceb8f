/**
 * `mlcycle/redis`: the online feature store in Redis, through the caller's ioredis client (an
 * optional peer dependency, typed structurally: this entry never imports it).
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { redisOnlineStore } from "mlcycle/redis";
 * const ws = await createWorkspace({ online: redisOnlineStore({ client: new Redis() }) });
 * ```
 *
 * @packageDocumentation
 */
export * from "./redis-client.js";
export * from "./redis-key-layout.js";
export * from "./redis-newest-wins-script.js";
export * from "./redis-online-store.js";
