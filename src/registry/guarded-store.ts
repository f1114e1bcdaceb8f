import { closedError, isMlcycleError, MlcycleError } from "../core/errors.js";
import type { RegistryStore } from "../stores/registry-store.js";

/**
 * The registry store as the registry calls it: every call after the registry closed is
 * `closedError()` without reaching the store, and an error of the store's driver (anything not an
 * `MlcycleError`) comes out as `INTERNAL` naming the method, the driver's error as its `cause`.
 */
export function guardedRegistryStore(store: RegistryStore, isClosed: () => boolean): RegistryStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const member = Reflect.get(target, prop, receiver);
      if (typeof member !== "function") return member;
      return (...args: unknown[]) => {
        if (isClosed()) return Promise.reject(closedError());
        const wrap = (error: unknown) => {
          if (isMlcycleError(error)) throw error;
          throw new MlcycleError(
            "INTERNAL",
            `the registry store failed in ${String(prop)}: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error, details: { method: String(prop) } },
          );
        };
        try {
          return Promise.resolve(member.apply(target, args)).catch(wrap);
        } catch (error) {
          return Promise.reject(error).catch(wrap);
        }
      };
    },
  });
}
