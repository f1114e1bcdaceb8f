import { z } from "zod";

/**
 * A check compiled from a zod schema: true when zod would accept the value and give back a value
 * equal to it (nothing stripped, coerced, defaulted or transformed), so the value can be passed on
 * as it is. False means "ask zod": the value may be invalid, or valid in a way the check does not
 * model (it never says true for a value zod refuses).
 */
export type CompiledCheck = (value: unknown) => boolean;

/** Thrown inside {@link compileCheck} for a part of a schema it does not model. */
class NotCompiled extends Error {}

/** Integer formats of `z.int()` and friends: the inclusive range of each. */
const INT_RANGES: Record<string, [number, number]> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

interface ZodInternals {
  def: {
    type: string;
    checks?: Array<{ _zod: { def: CheckDef } }>;
    coerce?: boolean;
    element?: ZodLike;
    items?: ZodLike[];
    rest?: ZodLike | null;
    shape?: Record<string, ZodLike>;
    catchall?: ZodLike;
    innerType?: ZodLike;
    options?: ZodLike[];
    inclusive?: boolean;
  } & Partial<CheckDef>;
  values?: Set<unknown>;
}
interface ZodLike {
  _zod: ZodInternals;
}
interface CheckDef {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  length?: number;
  format?: string;
}

/** Whether `new Function` may run here (not under zod's `jitless`, nor a policy that forbids it). */
function evalAllowed(): boolean {
  if (z.config().jitless) return false;
  try {
    new Function("");
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles a zod schema into one JavaScript function (once, when a signature's validator is made):
 * loops over arrays, `typeof` tests on leaves, no allocation. It models what model signatures are
 * made of — numbers (with bounds and integer formats), strings, booleans, null, literals and enums,
 * arrays and tuples (with length bounds), objects (stripped, strict or loose), optional, nullable and
 * unions. Undefined for a schema with anything else (refinements, transforms, defaults, coercion…),
 * or where code cannot be generated: the caller then always validates with zod.
 *
 * @example
 * ```ts
 * const check = compileCheck(z.array(z.tuple([z.number(), z.number()])));
 * check?.([[1, 2]]); // true
 * ```
 */
export function compileCheck(schema: z.ZodType): CompiledCheck | undefined {
  if (!evalAllowed()) return undefined;
  const constants: unknown[] = [];
  let vars = 0;
  const fresh = () => `v${vars++}`;
  const constant = (c: unknown) => {
    constants.push(c);
    return `c[${constants.length - 1}]`;
  };

  /** Statements that `return false` unless the value in variable `v` passes `s`. */
  function emit(s: ZodLike, v: string): string {
    const d = s._zod.def;
    if (d.coerce) throw new NotCompiled();
    const checks = [...(d.check ? [d as CheckDef] : []), ...(d.checks ?? []).map((c) => c._zod.def)];
    switch (d.type) {
      case "number":
        return `if (typeof ${v} !== "number" || !Number.isFinite(${v})) return false;\n${checks.map((c) => numberCheck(c, v)).join("")}`;
      case "string":
        if (checks.length) throw new NotCompiled();
        return `if (typeof ${v} !== "string") return false;\n`;
      case "boolean":
        if (checks.length) throw new NotCompiled();
        return `if (typeof ${v} !== "boolean") return false;\n`;
      case "null":
        return `if (${v} !== null) return false;\n`;
      case "any":
      case "unknown":
        return "";
      case "literal":
      case "enum": {
        const values = s._zod.values;
        if (!values || checks.length) throw new NotCompiled();
        return `if (!${constant(values)}.has(${v})) return false;\n`;
      }
      case "optional":
        return `if (${v} !== undefined) {\n${emit(d.innerType!, v)}}\n`;
      case "nullable":
        return `if (${v} !== null) {\n${emit(d.innerType!, v)}}\n`;
      case "array": {
        const i = fresh();
        const e = fresh();
        return (
          `if (!Array.isArray(${v})) return false;\n${checks.map((c) => lengthCheck(c, v)).join("")}` +
          `for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {\nconst ${e} = ${v}[${i}];\n${emit(d.element!, e)}}\n`
        );
      }
      case "tuple": {
        const items = d.items!;
        if (items.some((item) => item._zod.def.type === "optional")) throw new NotCompiled();
        let out = `if (!Array.isArray(${v}) || ${v}.length ${d.rest ? "<" : "!=="} ${items.length}) return false;\n`;
        out += checks.map((c) => lengthCheck(c, v)).join("");
        items.forEach((item, k) => {
          const e = fresh();
          out += `{\nconst ${e} = ${v}[${k}];\n${emit(item, e)}}\n`;
        });
        if (d.rest) {
          const i = fresh();
          const e = fresh();
          out += `for (let ${i} = ${items.length}; ${i} < ${v}.length; ${i}++) {\nconst ${e} = ${v}[${i}];\n${emit(d.rest, e)}}\n`;
        }
        return out;
      }
      case "object": {
        if (checks.length) throw new NotCompiled();
        const shape = d.shape!;
        const catchall = d.catchall?._zod.def.type;
        if (catchall !== undefined && catchall !== "never" && catchall !== "unknown" && catchall !== "any")
          throw new NotCompiled();
        // A plain object only: zod's answer is a plain object, so another kind would not come back as it is.
        let out = `if (typeof ${v} !== "object" || ${v} === null || Array.isArray(${v})) return false;\n`;
        out += `{ const p = Object.getPrototypeOf(${v}); if (p !== Object.prototype && p !== null) return false; }\n`;
        if (catchall === undefined || catchall === "never") {
          // Stripped (zod's default) or strict: a key outside the shape is zod's to answer.
          const known = constant(new Set(Object.keys(shape)));
          const k = fresh();
          out += `for (const ${k} of Object.keys(${v})) if (!${known}.has(${k})) return false;\n`;
        }
        for (const [key, field] of Object.entries(shape)) {
          const e = fresh();
          // Read as zod reads it (an inherited member included): a value zod would refuse is refused here too.
          out += `{\nconst ${e} = ${v}[${JSON.stringify(key)}];\n${emit(field, e)}}\n`;
        }
        return out;
      }
      case "union": {
        // An inclusive union only (z.xor and discriminated unions answer otherwise).
        if (d.inclusive === false || checks.length) throw new NotCompiled();
        const options = d.options!.map((o) => `if ((() => {\n${emit(o, v)}return true;\n})()) break union;\n`);
        return `union: {\n${options.join("")}return false;\n}\n`;
      }
      default:
        throw new NotCompiled();
    }
  }

  function numberCheck(c: CheckDef, v: string): string {
    switch (c.check) {
      case "greater_than":
        if (typeof c.value !== "number") throw new NotCompiled();
        return `if (!(${v} ${c.inclusive ? ">=" : ">"} ${constant(c.value)})) return false;\n`;
      case "less_than":
        if (typeof c.value !== "number") throw new NotCompiled();
        return `if (!(${v} ${c.inclusive ? "<=" : "<"} ${constant(c.value)})) return false;\n`;
      case "number_format": {
        const format = c.format ?? "float64";
        if (format === "float64") return "";
        const range = INT_RANGES[format];
        if (!range) throw new NotCompiled();
        return `if (!Number.isInteger(${v}) || ${v} < ${range[0]} || ${v} > ${range[1]}) return false;\n`;
      }
      default:
        throw new NotCompiled();
    }
  }

  function lengthCheck(c: CheckDef, v: string): string {
    switch (c.check) {
      case "min_length":
        return `if (${v}.length < ${Number(c.minimum)}) return false;\n`;
      case "max_length":
        return `if (${v}.length > ${Number(c.maximum)}) return false;\n`;
      case "length_equals":
        return `if (${v}.length !== ${Number(c.length)}) return false;\n`;
      default:
        throw new NotCompiled();
    }
  }

  let body: string;
  try {
    body = emit(schema as unknown as ZodLike, "value");
  } catch (error) {
    if (error instanceof NotCompiled) return undefined;
    throw error;
  }
  try {
    return new Function("c", `"use strict";\nreturn function check(value) {\n${body}return true;\n};`)(
      constants,
    ) as CompiledCheck;
  } catch {
    return undefined;
  }
}
