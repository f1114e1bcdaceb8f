/** How deep a feature value may nest (an array of objects of arrays…). */
export const MAX_VALUE_DEPTH = 64;

/**
 * Why a feature value would not come back as it went in, or undefined when it would. Stores keep
 * values as JSON (the SQL stores as text), so a value must be JSON data: null, a boolean, a finite
 * number, a string, an array or a plain object of those, acyclic and at most
 * {@link MAX_VALUE_DEPTH} deep. Otherwise the memory store would serve it as given while a SQL
 * store served it changed (`NaN` → null, a `Date` → a string, `undefined` in an array → null) or
 * failed raw (a bigint, a cycle).
 *
 * @example
 * ```ts
 * jsonValueProblem({ a: [1, 2] }); // undefined
 * jsonValueProblem(Number.NaN); // "NaN is not a finite number"
 * ```
 */
export function jsonValueProblem(value: unknown): string | undefined {
  return problem(value, 0, undefined);
}

function problem(value: unknown, depth: number, seen: Set<object> | undefined): string | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${value} is not a finite number`;
    case "object": {
      if (value === null) return undefined;
      if (depth >= MAX_VALUE_DEPTH) return `nests deeper than ${MAX_VALUE_DEPTH} levels`;
      const stack = seen ?? new Set<object>();
      if (stack.has(value)) return "refers to itself (a cycle)";
      if (Array.isArray(value)) {
        stack.add(value);
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) return `[${i}] is undefined (JSON has no undefined)`;
          const p = problem(value[i], depth + 1, stack);
          if (p) return `[${i}] ${p}`;
        }
        stack.delete(value);
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        return `is a ${proto?.constructor?.name ?? "non-plain"} object, not JSON data`;
      stack.add(value);
      for (const k in value) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        const p = problem(v, depth + 1, stack);
        if (p) return `.${k} ${p}`;
      }
      stack.delete(value);
      return undefined;
    }
    case "undefined":
      return undefined;
    default:
      return `is a ${typeof value}, not JSON data`;
  }
}
