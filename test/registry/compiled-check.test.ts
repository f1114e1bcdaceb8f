// The compiled check of a signature's shape: it says "valid as it is" only where zod accepts the value
// and gives back an equal one; everything else goes to zod, whose answer stands.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isMlcycleError } from "../../src/core/errors.js";
import { compileCheck } from "../../src/registry/compiled-check.js";
import { validatorFor } from "../../src/registry/signature.js";

const schemas: Record<string, z.ZodType> = {
  "rows of 2 numbers (tuple)": z.array(z.tuple([z.number(), z.number()])),
  "rows of 4 numbers (length)": z.array(z.array(z.number()).length(4)).min(1),
  "bounded ints": z.array(z.int().min(0).max(10)),
  "int32 / uint32 / positive": z.tuple([z.int32(), z.uint32(), z.number().positive()]),
  "tuple with rest": z.tuple([z.string()], z.number()),
  "records (stripped)": z.array(
    z.object({ a: z.number(), b: z.string().optional(), c: z.enum(["x", "y"]), d: z.boolean().nullable() }),
  ),
  "records (strict)": z.array(z.strictObject({ a: z.number() })),
  "records (loose)": z.array(z.looseObject({ a: z.number() })),
  "literals and null": z.array(z.union([z.literal(1), z.literal("one"), z.null()])),
  "bounded arrays": z.array(z.number()).min(2).max(3),
};

const values: unknown[] = [
  [],
  [[1, 2]],
  [
    [1, 2],
    [3, 4],
  ],
  [[1, 2, 3]],
  [[1]],
  [[1, "2"]],
  [[1, Number.NaN]],
  [[1, Number.POSITIVE_INFINITY]],
  [[1, 2, 3, 4]],
  [[1, 2, 3, "4"]],
  [0, 5, 10],
  [0, 5, 11],
  [-1],
  [1.5],
  [2 ** 31, 1, 1],
  [1, -1, 1],
  [1, 1, 0],
  ["a"],
  ["a", 1, 2],
  ["a", "b"],
  [{ a: 1, c: "x", d: null }],
  [{ a: 1, b: "s", c: "y", d: true }],
  [{ a: 1, b: undefined, c: "y", d: false }],
  [{ a: 1, c: "z", d: null }],
  [{ a: 1, c: "x" }],
  [{ a: 1, c: "x", d: null, extra: 2 }],
  [{ a: 1 }],
  [{ a: 1, extra: 2 }],
  [{ a: "1" }],
  [{ toString: 1, a: 1 }],
  [Object.create({ a: 1 })],
  [new Date(0)],
  [1, "one", null],
  [2],
  [null, null],
  [[1, 2], null],
  "rows",
  null,
  undefined,
  42,
  { 0: [1, 2], length: 1 },
];

describe("compileCheck", () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: true only where zod accepts the value and returns an equal one`, () => {
      const check = compileCheck(schema);
      expect(check).toBeTypeOf("function");
      let passed = 0;
      for (const v of values) {
        const fast = check!(v);
        const r = schema.safeParse(v);
        if (fast) {
          passed++;
          expect(r.success, JSON.stringify(v)).toBe(true);
          expect(r.data).toStrictEqual(v);
        }
        // Every value zod accepts unchanged among these (plain data, no extra keys) passes the check.
        if (r.success && JSON.stringify(r.data) === JSON.stringify(v) && isPlainData(v)) expect(fast).toBe(true);
      }
      expect(passed).toBeGreaterThan(0);
    });
  }

  it("compiles the shape stored as JSON Schema (z.fromJSONSchema of the signature)", () => {
    const stored = z.toJSONSchema(
      z.array(z.object({ a: z.number(), b: z.int().nullable(), c: z.enum(["x", "y"]).optional() })),
      { io: "input" },
    );
    const check = compileCheck(z.fromJSONSchema(stored as Parameters<typeof z.fromJSONSchema>[0]));
    expect(
      check?.([
        { a: 1.5, b: 2, c: "x" },
        { a: 0, b: null },
      ]),
    ).toBe(true);
    expect(check?.([{ a: 1.5, b: 2.5 }])).toBe(false);
  });

  it("leaves to zod a schema with refinements, transforms, defaults or coercion", () => {
    for (const schema of [
      z.array(z.number()).refine((x) => x.length > 0),
      z.array(z.number().transform((x) => x * 2)),
      z.array(z.object({ a: z.number().default(1) })),
      z.array(z.coerce.number()),
      z.array(z.string().email()),
      z.array(z.number().multipleOf(2)),
      z.record(z.string(), z.number()),
      z.xor([z.number(), z.int()]),
    ])
      expect(compileCheck(schema as z.ZodType)).toBeUndefined();
  });
});

describe("validatorFor", () => {
  const validate = validatorFor(z.array(z.tuple([z.number(), z.number()])), "inputs of m@1");

  it("returns a batch that passes the compiled check as it is, without a copy", () => {
    const rows = [
      [1, 2],
      [3, 4],
    ];
    expect(validate(rows)).toBe(rows);
  });

  it("still answers an invalid batch with zod's issues", () => {
    let caught: unknown;
    try {
      validate([[1, "x"]]);
    } catch (error) {
      caught = error;
    }
    expect(isMlcycleError(caught, "VALIDATION")).toBe(true);
    expect((caught as { issues: Array<{ path: unknown[] }> }).issues[0].path).toEqual([0, 1]);
  });

  it("gives zod's parsed value where the check does not model the schema (a transform applies)", () => {
    const doubled = validatorFor(z.array(z.number().transform((x) => x * 2)), "inputs of m@2");
    expect(doubled([1, 2])).toEqual([2, 4]);
  });

  it("gives zod's stripped value for a record with a key outside the shape", () => {
    const v = validatorFor(z.array(z.object({ a: z.number() })), "inputs of m@3");
    expect(v([{ a: 1, b: 2 }])).toEqual([{ a: 1 }]);
  });
});

/** Arrays, plain objects and primitives only, every object key defined. */
function isPlainData(v: unknown): boolean {
  if (v === null || typeof v !== "object") return true;
  if (Array.isArray(v)) return v.every(isPlainData);
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  return Object.values(v).every((x) => x !== undefined && isPlainData(x));
}
