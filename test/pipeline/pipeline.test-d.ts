import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  type PipelineOutputs,
  type PipelineParamsInput,
  type PipelineRunResult,
  pipeline,
  type Ref,
  step,
  type Workspace,
} from "../../src/index.js";

const load = step({
  name: "load",
  version: "1",
  input: z.object({ path: z.string() }),
  output: z.object({ rows: z.array(z.number()), label: z.string(), stats: z.object({ mean: z.number() }) }),
  run: ({ path }) => ({ rows: [path.length], label: path, stats: { mean: 1 } }),
});
const fit = step({
  name: "fit",
  version: "1",
  input: z.object({ rows: z.array(z.number()), lr: z.number() }),
  output: z.object({ weight: z.number() }),
  run: ({ rows, lr }) => ({ weight: rows.length * lr }),
});
const double = step({ name: "double", version: "1", input: z.number(), output: z.number(), run: (x) => x * 2 });
const shout = step({ name: "shout", version: "1", input: z.string(), output: z.string(), run: (s) => s.toUpperCase() });
const params = z.object({ path: z.string(), lr: z.number().default(0.1) });

describe("pipeline wiring types", () => {
  it("gives wiring callbacks typed references to params and earlier outputs", () => {
    pipeline("t", { params }).step("load", load, (refs) => {
      expectTypeOf(refs.params.path).toEqualTypeOf<Ref<string>>();
      expectTypeOf(refs.params.lr).toEqualTypeOf<Ref<number>>();
      return { path: refs.params.path };
    });
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      .step("fit", fit, (refs) => {
        expectTypeOf(refs.load.rows).toEqualTypeOf<Ref<number[]>>();
        expectTypeOf(refs.load.stats.mean).toEqualTypeOf<Ref<number>>();
        return { rows: refs.load.rows, lr: refs.params.lr };
      });
  });

  it("accepts matching references and constants", () => {
    const p = pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      .step("fit", fit, ({ load }) => ({ rows: load.rows, lr: 0.5 }))
      .step("fit2", fit, () => ({ rows: [1, 2], lr: 1 }))
      .step("d", double, ({ fit }) => fit.weight)
      .map("each", double, { over: ({ load }) => load.rows, concurrency: 2 })
      .map("each2", fit, { over: ({ load }) => load.rows, input: (x, { params }) => ({ rows: [x], lr: params.lr }) });
    expectTypeOf<PipelineOutputs<typeof p>>().toEqualTypeOf<
      { load: { rows: number[]; label: string; stats: { mean: number } } } & { fit: { weight: number } } & {
        fit2: { weight: number };
      } & { d: number } & { each: number[] } & { each2: { weight: number }[] }
    >();
    expectTypeOf<PipelineParamsInput<typeof p>>().toEqualTypeOf<{ path: string; lr?: number | undefined }>();
  });

  it("does not compile a string output wired to a number input", () => {
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error label is a string, lr wants a number
      .step("fit", fit, ({ load }) => ({ rows: load.rows, lr: load.label }));
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error a whole object where a number is expected
      .step("d", double, ({ load }) => load.stats);
    pipeline("t", { params })
      // @ts-expect-error params.lr is a number, path wants a string
      .step("load", load, ({ params }) => ({ path: params.lr }));
  });

  it("does not compile a list of the wrong element type, a missing input, or an unknown step", () => {
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error rows wants number[], label is a string
      .step("fit", fit, ({ load }) => ({ rows: load.label, lr: 1 }));
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error lr is missing
      .step("fit", fit, ({ load }) => ({ rows: load.rows }));
    pipeline("t", { params })
      // @ts-expect-error no step "load" is defined yet
      .step("fit", fit, ({ load }) => ({ rows: load.rows, lr: 1 }));
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error a constant of the wrong type
      .step("fit2", fit, ({ load }) => ({ rows: load.rows, lr: "fast" }));
  });

  it("does not compile a map over a list whose items do not fit the step", () => {
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error items are numbers, shout wants strings
      .map("loud", shout, { over: ({ load }) => load.rows });
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error over must be a list
      .map("each", double, { over: ({ load }) => load.label });
  });

  it("types conditions, run params and outputs", async () => {
    const p = pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      .step("fit", fit, ({ load }) => ({ rows: load.rows, lr: 1 }), {
        when: (v) => {
          expectTypeOf(v.load.rows).toEqualTypeOf<number[]>();
          expectTypeOf(v.params.lr).toEqualTypeOf<number>();
          return v.load.rows.length > 0;
        },
        after: ["load"],
      });
    pipeline("t", { params })
      .step("load", load, ({ params }) => ({ path: params.path }))
      // @ts-expect-error "nope" is not a step
      .step("fit", fit, ({ load }) => ({ rows: load.rows, lr: 1 }), { after: ["nope"] });
    const ws = {} as Workspace;
    const run = () => ws.pipelines.run(p, { path: "x" });
    expectTypeOf(run).returns.resolves.toEqualTypeOf<PipelineRunResult<PipelineOutputs<typeof p>>>();
    expectTypeOf<Awaited<ReturnType<typeof run>>["outputs"]["fit"]>().toEqualTypeOf<{ weight: number } | undefined>();
    const out = () => ws.pipelines.output(p, "run", "load");
    expectTypeOf(out).returns.resolves.toEqualTypeOf<{
      rows: number[];
      label: string;
      stats: { mean: number };
    }>();
    // @ts-expect-error path must be a string
    const bad = () => ws.pipelines.run(p, { path: 1 });
    // @ts-expect-error no step "other"
    const badOut = () => ws.pipelines.output(p, "run", "other");
    void bad;
    void badOut;
  });
});
