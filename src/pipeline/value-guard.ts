import { invalid, type MlcycleError } from "../core/errors.js";

/** How deep a param, step input or output may nest (objects and arrays). */
export const MAX_VALUE_DEPTH = 1000;

/** What {@link checkValue} refuses besides cycles and depth. */
export interface ValueRules {
  /** Refuse bigints (true where the value is stored as JSON: params). */
  bigint: boolean;
}

/**
 * Checks that a value can be hashed and stored: no cycle, at most {@link MAX_VALUE_DEPTH} levels,
 * no bigint where `rules.bigint`. Walks with an explicit stack, so a value nested far deeper than
 * the call stack allows gives a `VALIDATION` error naming where (e.g. `params.a.b[3]`), never a
 * stack overflow. Returns the error instead of throwing, or undefined when the value is fine.
 */
export function valueProblem(value: unknown, where: string, rules: ValueRules): MlcycleError | undefined {
  if (value === null || typeof value !== "object") return scalarProblem(value, () => where, rules);
  if (quickCheck(value, rules)) return undefined;
  // Paths are built only when a problem is found: the usual value costs one visit per member.
  type Frame = { value: object; parent: Frame | undefined; key: string; depth: number; keys: string[]; next: number };
  const segment = (container: object, key: string) => (Array.isArray(container) ? `[${key}]` : `.${key}`);
  const pathOf = (f: Frame, key: string): string => {
    const segments = [segment(f.value, key)];
    for (let at = f; at.parent; at = at.parent) segments.push(segment(at.parent.value, at.key));
    return where + segments.reverse().join("");
  };
  const onPath = new Set<object>();
  const frame = (v: object, parent: Frame | undefined, key: string, depth: number): Frame => ({
    value: v,
    parent,
    key,
    depth,
    keys: plainContainer(v) ? Object.keys(v) : [],
    next: 0,
  });
  const stack: Frame[] = [frame(value, undefined, "", 1)];
  onPath.add(value);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.next >= top.keys.length) {
      onPath.delete(top.value);
      stack.pop();
      continue;
    }
    const key = top.keys[top.next++]!;
    const child = (top.value as Record<string, unknown>)[key];
    if (child === null || typeof child !== "object") {
      const problem = scalarProblem(child, () => pathOf(top, key), rules);
      if (problem) return problem;
      continue;
    }
    if (onPath.has(child))
      return invalid([pathOf(top, key)], "is a cycle (it contains itself): give a value without cycles");
    if (top.depth + 1 > MAX_VALUE_DEPTH)
      return invalid([where], `nests deeper than ${MAX_VALUE_DEPTH} levels (at ${pathOf(top, key).slice(0, 200)}…)`);
    onPath.add(child);
    stack.push(frame(child, top, key, top.depth + 1));
  }
  return undefined;
}

/** Nesting the quick check walks before it leaves a value to the full walk. */
const QUICK_DEPTH = 64;
/** The containers the quick check is inside of (it calls nothing that could re-enter it). */
const ancestors: object[] = [];

/**
 * True when `value` surely has no problem: a recursive walk, at most {@link QUICK_DEPTH} deep, that
 * allocates nothing (the usual step output is a few shallow members). False when it found a
 * problem or went too deep: the full walk then says what and where.
 */
function surelyFine(value: object, rules: ValueRules): boolean {
  if (ancestors.length >= QUICK_DEPTH || ancestors.includes(value)) return false;
  if (!plainContainer(value)) return true;
  ancestors.push(value);
  let fine = true;
  if (Array.isArray(value)) {
    for (let i = 0; fine && i < value.length; i++) fine = memberFine(value[i], rules);
  } else {
    // A plain object's prototype (Object.prototype or none) has no enumerable keys: for…in lists its own.
    for (const k in value) if (!(fine = memberFine((value as Record<string, unknown>)[k], rules))) break;
  }
  ancestors.pop();
  return fine;
}

function quickCheck(value: object, rules: ValueRules): boolean {
  try {
    return surelyFine(value, rules);
  } finally {
    ancestors.length = 0;
  }
}

function memberFine(v: unknown, rules: ValueRules): boolean {
  if (v === null || typeof v !== "object") return !(typeof v === "bigint" && rules.bigint);
  return surelyFine(v, rules);
}

/** {@link valueProblem}, thrown. */
export function checkValue(value: unknown, where: string, rules: ValueRules): void {
  const problem = valueProblem(value, where, rules);
  if (problem) throw problem;
}

function scalarProblem(value: unknown, path: () => string, rules: ValueRules): MlcycleError | undefined {
  if (typeof value === "bigint" && rules.bigint)
    return invalid([path()], "is a bigint, which cannot be stored as JSON: give a number or a string");
  return undefined;
}

/** Arrays and plain objects are walked; class instances (Date, Map, typed arrays…) are leaves. */
function plainContainer(v: object): boolean {
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
