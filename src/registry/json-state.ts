import { invalid } from "../core/errors.js";

/** How deep stored model state and meta may nest: far past any real model, far below the stack's limit. */
export const MAX_STATE_DEPTH = 1000;

/**
 * Checks that `value` is plain JSON that reads back unchanged — null, booleans, strings, finite
 * numbers, arrays and plain objects (anything with `toJSON` is checked as what it returns), at
 * most {@link MAX_STATE_DEPTH} levels deep and without cycles — and throws `VALIDATION` naming
 * `what` and the path of the first value that is not. Iterative, so a deep value never overflows
 * the stack. A bigint is refused rather than stored in a form that would load as something else:
 * convert it to a string (or a number when it is small enough) in the state and back in the factory.
 */
export function checkJsonState(what: string, value: unknown): void {
  interface Frame {
    v: unknown;
    path: PropertyKey[];
    parents: object[];
  }
  const stack: Frame[] = [{ v: value, path: [], parents: [] }];
  const where = (path: PropertyKey[]) => [what, ...path];
  while (stack.length) {
    const f = stack.pop()!;
    let v = f.v;
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function")
      v = (v as { toJSON(key: string): unknown }).toJSON(String(f.path.at(-1) ?? ""));
    switch (typeof v) {
      case "string":
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(v)) throw invalid(where(f.path), `${v} is not JSON: store it as a string`, "not_json");
        continue;
      case "bigint":
        throw invalid(
          where(f.path),
          "a bigint is not JSON and would not load back as a bigint: store it as a string (or a number)",
          "not_json",
        );
      case "undefined":
        if (Array.isArray(f.parents.at(-1)))
          throw invalid(where(f.path), "undefined in an array is not JSON (it would load as null)", "not_json");
        continue;
      case "function":
      case "symbol":
        throw invalid(where(f.path), `a ${typeof v} is not JSON`, "not_json");
    }
    if (v === null) continue;
    const obj = v as object;
    if (f.parents.includes(obj)) throw invalid(where(f.path), "has a cycle: model state must be a tree", "cycle");
    if (f.parents.length >= MAX_STATE_DEPTH)
      throw invalid(where(f.path), `nests deeper than ${MAX_STATE_DEPTH} levels`, "too_deep");
    const parents = [...f.parents, obj];
    if (Array.isArray(obj)) {
      for (let i = obj.length - 1; i >= 0; i--) {
        const x = obj[i];
        // Numbers and strings (the bulk of weights and vocabularies) need no frame of their own.
        if (typeof x === "string" || (typeof x === "number" && Number.isFinite(x))) continue;
        stack.push({ v: x, path: [...f.path, i], parents });
      }
      continue;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      throw invalid(
        where(f.path),
        `a ${obj.constructor?.name ?? "non-plain object"} is not plain JSON: convert it (e.g. to an array or object)`,
        "not_json",
      );
    for (const [k, child] of Object.entries(obj)) stack.push({ v: child, path: [...f.path, k], parents });
  }
}
