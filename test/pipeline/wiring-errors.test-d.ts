import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  type AnyStep,
  type CheckWire,
  pipeline,
  type Ref,
  type StepInput,
  step,
  type WiringError,
} from "../../src/index.js";

const load = step({
  name: "load",
  version: "1",
  input: z.object({ path: z.string() }),
  output: z.object({
    rows: z.array(z.number()),
    names: z.array(z.string()),
    label: z.string(),
    stats: z.object({ mean: z.number() }),
  }),
  run: ({ path }) => ({ rows: [path.length], names: [path], label: path, stats: { mean: 1 } }),
});
const fit = step({
  name: "fit",
  version: "1",
  input: z.object({ rows: z.array(z.number()), lr: z.number() }),
  output: z.object({ weight: z.number() }),
  run: ({ rows, lr }) => ({ weight: rows.length * lr }),
});
const nested = step({
  name: "nested",
  version: "1",
  input: z.object({ kind: z.enum(["a", "b"]), n: z.object({ m: z.number(), o: z.string().optional() }) }),
  output: z.number(),
  run: ({ n }) => n.m,
});
const double = step({ name: "double", version: "1", input: z.number(), output: z.number(), run: (x) => x * 2 });
const shout = step({ name: "shout", version: "1", input: z.string(), output: z.string(), run: (s) => s.toUpperCase() });
const params = z.object({ path: z.string(), lr: z.number().default(0.1) });
const base = pipeline("t", { params }).step("load", load, ({ params }) => ({ path: params.path }));

/** What `.step(name, step, wire)` requires its wire callback to return, for a wiring result `W`. */
type StepWants<N extends string, S extends AnyStep, W> = ReturnType<
  NonNullable<Parameters<typeof base.step<N, S, W>>[2]>
>;

describe("wiring errors read as sentences", () => {
  it("names the input, the step and both types when a reference has the wrong type", () => {
    // @ts-expect-error rows wants number[], names is string[]
    base.step("fit", fit, ({ load }) => ({ rows: load.names, lr: 1 }));
    expectTypeOf<StepWants<"fit", typeof fit, { rows: Ref<string[]>; lr: 1 }>>().toEqualTypeOf<{
      rows: "mlcycle: input 'rows' of step 'fit' expects number[], got string[]";
      lr: 1;
    }>();
    expectTypeOf<StepWants<"fit", typeof fit, { rows: Ref<number[]>; lr: Ref<string> }>>().toEqualTypeOf<{
      rows: Ref<number[]>;
      lr: "mlcycle: input 'lr' of step 'fit' expects number, got string";
    }>();
  });

  it("names a constant of the wrong type, a wrong whole input and a missing input", () => {
    expectTypeOf<StepWants<"fit", typeof fit, { rows: Ref<number[]>; lr: "fast" }>>().toEqualTypeOf<{
      rows: Ref<number[]>;
      lr: "mlcycle: input 'lr' of step 'fit' expects number, got 'fast'";
    }>();
    expectTypeOf<
      StepWants<"d", typeof double, Ref<{ mean: number }>>
    >().toEqualTypeOf<"mlcycle: the input of step 'd' expects number, got an object">();
    expectTypeOf<StepWants<"fit", typeof fit, { rows: Ref<number[]> }>>().toEqualTypeOf<{
      rows: Ref<number[]>;
      lr: "mlcycle: input 'lr' of step 'fit' is not wired";
    }>();
    expectTypeOf<StepWants<"f", typeof fit, { rows: readonly [Ref<string>, 2]; lr: 1 }>>().toEqualTypeOf<{
      rows: "mlcycle: input 'rows' of step 'f' expects number[], got [string, 2]";
      lr: 1;
    }>();
  });

  it("follows nested inputs and names the missing field of a wired object", () => {
    type In = StepInput<typeof nested>;
    expectTypeOf<CheckWire<{ kind: "a"; n: { m: Ref<string> } }, In, "k">>().toEqualTypeOf<{
      kind: "a";
      n: { m: "mlcycle: input 'n.m' of step 'k' expects number, got string"; o?: string | undefined };
    }>();
    expectTypeOf<CheckWire<{ kind: "a"; n: Ref<{ mean: number }> }, In, "k">>().toEqualTypeOf<{
      kind: "a";
      n: "mlcycle: input 'n' of step 'k' expects an object with field 'm', got one without it";
    }>();
    expectTypeOf<
      CheckWire<Ref<{ kind: "a"; n: { m: string } }>, In, "k">
    >().toEqualTypeOf<"mlcycle: the input of step 'k' expects field 'n' to be an object, got an object">();
  });

  it("keeps fitting wirings as they are, literals included", () => {
    const p = base
      .step("fit", fit, ({ load }) => ({ rows: load.rows, lr: 0.5 }))
      .step("k", nested, ({ load }) => ({ kind: "b", n: { m: load.stats.mean, o: load.label } }))
      .step("k2", nested, () => ({ kind: "a", n: { m: 1 } }))
      .map("each", fit, { over: ({ load }) => load.rows, input: (x, _refs, i) => ({ rows: [x, i], lr: 1 }) });
    expectTypeOf(p.outputs.k).toEqualTypeOf<number>();
    type Fits = CheckWire<{ rows: Ref<number[]>; lr: 1 }, StepInput<typeof fit>, "fit">;
    expectTypeOf<Fits>().toEqualTypeOf<{ rows: Ref<number[]>; lr: 1 }>();
  });

  it("explains a map over items that do not fit, over a non-list, and a wrong item input", () => {
    // @ts-expect-error items are numbers, shout wants strings
    base.map("loud", shout, { over: ({ load }) => load.rows });
    // @ts-expect-error label is not a list
    base.map("each", double, { over: ({ load }) => load.label });
    // @ts-expect-error lr wants a number, params.path is a string
    base.map("each", fit, {
      over: ({ load }) => load.rows,
      input: (x, { params }) => ({ rows: [x], lr: params.path }),
    });
    type Over<N extends string, S extends AnyStep, L> = ReturnType<Parameters<typeof base.map<N, S, L>>[2]["over"]>;
    expectTypeOf<
      Over<"loud", typeof shout, Ref<number[]>>
    >().toEqualTypeOf<"mlcycle: map 'loud' gives its step items of number, but the step expects string">();
    expectTypeOf<
      Over<"each", typeof double, Ref<string>>
    >().toEqualTypeOf<"mlcycle: map 'each' must run over a list, got string">();
    expectTypeOf<WiringError<"x">>().toEqualTypeOf<"mlcycle: x">();
  });
});
