import type * as z from "zod";
import { invalid, MlcycleError } from "../core/errors.js";
import { hashValue, sha256 } from "../core/hash.js";
import { checkName } from "../core/validation.js";
import { formatGraph, type GraphEdge, type GraphNode, type PipelineGraph } from "./graph.js";
import {
  type CheckItems,
  type CheckWire,
  compileTemplate,
  makeRef,
  type Ref,
  type RefTarget,
  type Refs,
  refsRoot,
  refTarget,
  type Template,
} from "./refs.js";
import { type AnyStep, isStep, type StepInput, type StepOutput } from "./step.js";

/** The values a condition sees: `params` and the outputs of the steps defined before. */
export type Values<P, O> = { readonly params: P } & { readonly [K in keyof O]: O[K] };

/** Options of a step in a pipeline. */
export interface NodeOptions<P, O> {
  /**
   * Runs the step only when this holds; otherwise it is recorded as `skipped` and so are the steps
   * that depend on it. It may read `params` and the outputs of the step's dependencies (its wired
   * inputs and `after`); reading another step's output is an error.
   */
  when?: (values: Values<P, O>) => boolean;
  /** Steps to wait for although no data flows from them. */
  after?: Array<keyof O & string>;
}

/** Options of a map step whose items are the step's input as they are. */
export interface MapItemsOptions<P, O, In, L = unknown, N extends string = string> extends NodeOptions<P, O> {
  /** The list to fan out over: a reference to an array output whose items fit the step's input. */
  over: (refs: Refs<P, O>) => CheckItems<L, In, N>;
  /** Items running at once (default 8). */
  concurrency?: number;
}

/** Options of a map step that builds the step input of each item. */
export interface MapOptions<P, O, E, In, W = unknown, N extends string = string> extends NodeOptions<P, O> {
  /** The list to fan out over: a reference to an array output. */
  over: (refs: Refs<P, O>) => Ref<readonly E[]> | Ref<E[]>;
  /** The step input for one item, from the item, the other references and the item's index. */
  input: (item: Ref<E>, refs: Refs<P, O>, index: Ref<number>) => CheckWire<W, In, N>;
  /** Items running at once (default 8). */
  concurrency?: number;
}

/** One node as the engine sees it. */
export interface PipelineNode {
  name: string;
  kind: "step" | "map";
  step: AnyStep;
  /** The step's version or `code:<hash>`. */
  version: string;
  /** The input template (references resolved at run time); undefined means `{}`. */
  input?: Template;
  /** For a map: where the list comes from. */
  over?: RefTarget;
  concurrency: number;
  when?: (values: any) => boolean;
  dependsOn: string[];
  edges: GraphEdge[];
}

/** The version of a step for the cache key: its declared version, else a hash of its code. */
export function stepVersion(s: AnyStep): string {
  return s.version ?? `code:${sha256(s.run.toString()).slice(0, 16)}`;
}

/** Options of {@link pipeline}. */
export interface PipelineOptions<PS extends z.ZodType | undefined> {
  /** Parameters schema; the run's params are validated against it. */
  params?: PS;
  /** Pipeline version (default: a hash of the graph — step names, versions and edges). */
  version?: string;
  /** Tracking experiment the runs are logged to (default: the pipeline name). */
  experiment?: string;
}

type ParamsOf<PS> = PS extends z.ZodType ? z.output<PS> : {};
type ParamsInputOf<PS> = PS extends z.ZodType ? z.input<PS> : Record<string, never> | undefined;

/**
 * A typed pipeline under construction: each `.step()` / `.map()` returns a new pipeline whose type
 * knows one more output, so wiring callbacks see typed references and a wrong wiring does not
 * compile. Immutable: a pipeline value can be extended in two directions.
 *
 * @example
 * ```ts
 * const p = pipeline("train", { params: z.object({ lr: z.number() }) })
 *   .step("prepare", prepare)
 *   .step("fit", fit, ({ prepare, params }) => ({ rows: prepare.rows, lr: params.lr }));
 * console.log(p.graph().toString());
 * ```
 */
export class Pipeline<P = {}, O extends Record<string, unknown> = {}, PI = P> implements AnyPipeline {
  /** Phantom (type-level only): the params type a run accepts (before the schema's defaults). */
  declare readonly paramsInput: PI;
  /** Phantom (type-level only): the outputs of the steps, by name. */
  declare readonly outputs: O;
  /** Marks the object as a pipeline. */
  readonly kind = "mlcycle.pipeline" as const;

  private constructor(
    readonly name: string,
    readonly paramsSchema: z.ZodType | undefined,
    readonly nodes: readonly PipelineNode[],
    private readonly declaredVersion: string | undefined,
    readonly experiment: string,
  ) {}

  /** @internal */
  static create(name: string, options: PipelineOptions<any>): Pipeline<any, {}, any> {
    checkName("pipeline.name", name);
    if (options.version !== undefined) checkName("pipeline.version", options.version, 250);
    return new Pipeline(name, options.params, [], options.version, options.experiment ?? name);
  }

  /** The pipeline version: declared, or a hash of its graph. */
  get version(): string {
    if (this.declaredVersion !== undefined) return this.declaredVersion;
    if (this.computedVersion === undefined) {
      const shape = this.nodes.map((n) => ({ n: n.name, k: n.kind, s: n.step.name, v: n.version, e: n.edges }));
      this.computedVersion = hashValue(shape).slice(0, 12);
    }
    return this.computedVersion;
  }

  private computedVersion: string | undefined;
  private byName: Map<string, PipelineNode> | undefined;

  /**
   * Adds a step. `wire` maps typed references (`params` and the earlier steps' outputs) to the
   * step's input; omit it for a step whose input is `{}`.
   */
  step<N extends string, S extends AnyStep, const W = unknown>(
    name: N,
    step: S,
    wire?: (refs: Refs<P, O>) => CheckWire<W, StepInput<S>, N>,
    options: NodeOptions<P, O> = {},
  ): Pipeline<P, O & { [K in N]: StepOutput<S> }, PI> {
    this.checkNew(name, step);
    const root = refsRoot();
    const wired = wire ? compileTemplate(wire(root as Refs<P, O>)) : undefined;
    const edges = this.dataEdges(name, wired?.refs ?? []);
    const node = this.node(name, "step", step, wired?.template, undefined, 1, edges, options);
    return new Pipeline(
      this.name,
      this.paramsSchema,
      [...this.nodes, node],
      this.declaredVersion,
      this.experiment,
    ) as any;
  }

  /**
   * Adds a fan-out: runs `step` once per item of a list output, at most `concurrency` at a time;
   * its output (for the steps after it: the fan-in) is the list of the items' outputs, in order.
   *
   * @example
   * ```ts
   * p.map("score", scoreOne, { over: ({ prepare }) => prepare.rows, input: (row, { params }) => ({ row, k: params.k }), concurrency: 4 })
   * ```
   */
  map<N extends string, S extends AnyStep, E, const W = unknown>(
    name: N,
    step: S,
    options: MapOptions<P, O, E, StepInput<S>, W, N>,
  ): Pipeline<P, O & { [K in N]: StepOutput<S>[] }, PI>;
  map<N extends string, S extends AnyStep, L = unknown>(
    name: N,
    step: S,
    options: MapItemsOptions<P, O, StepInput<S>, L, N>,
  ): Pipeline<P, O & { [K in N]: StepOutput<S>[] }, PI>;
  map(
    name: string,
    step: AnyStep,
    options: MapOptions<P, O, unknown, unknown> | MapItemsOptions<P, O, unknown>,
  ): Pipeline<P, any, PI> {
    this.checkNew(name, step);
    const root = refsRoot();
    const overTarget = refTarget(options.over(root as Refs<P, O>));
    if (!overTarget)
      throw invalid([name, "over"], "must return a reference to a list output, e.g. ({ prep }) => prep.rows");
    this.checkSource(name, overTarget);
    const edges: GraphEdge[] = [
      { from: overTarget.source, fromPath: overTarget.path.join("."), to: name, toPath: "[]", kind: "map" },
    ];
    let template: Template = makeRef("$item");
    if ("input" in options && options.input) {
      const wired = compileTemplate(
        options.input(makeRef("$item") as any, root as Refs<P, O>, makeRef("$index") as any),
      );
      template = wired.template;
      edges.push(
        ...this.dataEdges(
          name,
          wired.refs.filter((r) => r.target.source !== "$item" && r.target.source !== "$index"),
        ),
      );
    } else {
      template = compileTemplate(template).template;
    }
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw invalid([name, "concurrency"], "must be a positive integer");
    const node = this.node(name, "map", step, template, overTarget, concurrency, edges, options);
    return new Pipeline(
      this.name,
      this.paramsSchema,
      [...this.nodes, node],
      this.declaredVersion,
      this.experiment,
    ) as any;
  }

  /** The graph: nodes and edges, known without running anything; `toString()` prints it. */
  graph(): PipelineGraph {
    const g = {
      pipeline: this.name,
      version: this.version,
      nodes: this.nodes.map(
        (n): GraphNode => ({
          name: n.name,
          kind: n.kind,
          step: n.step.name,
          version: n.version,
          dependsOn: [...n.dependsOn],
          conditional: n.when !== undefined,
          ...(n.kind === "map" ? { over: n.over!.toString(), concurrency: n.concurrency } : {}),
        }),
      ),
      edges: this.nodes.flatMap((n) => n.edges.map((e) => ({ ...e }))),
    };
    return { ...g, toString: () => formatGraph(g) };
  }

  /** Prints the graph (to `console.log` by default). */
  print(write: (text: string) => void = console.log): this {
    write(this.graph().toString());
    return this;
  }

  /** A node by name; `NOT_FOUND` otherwise. */
  getNode(name: string): PipelineNode {
    this.byName ??= new Map(this.nodes.map((x) => [x.name, x]));
    const n = this.byName.get(name);
    if (!n) throw new MlcycleError("NOT_FOUND", `pipeline '${this.name}' has no step '${name}'`);
    return n;
  }

  private node(
    name: string,
    kind: "step" | "map",
    step: AnyStep,
    input: Template | undefined,
    over: RefTarget | undefined,
    concurrency: number,
    edges: GraphEdge[],
    options: NodeOptions<P, O>,
  ): PipelineNode {
    for (const a of options.after ?? []) {
      if (!this.nodes.some((n) => n.name === a))
        throw invalid([name, "after"], `'${String(a)}' is not a step defined before '${name}'`);
      edges.push({ from: a, fromPath: "", to: name, toPath: "", kind: "control" });
    }
    if (options.when !== undefined && typeof options.when !== "function")
      throw invalid([name, "when"], "must be a function of the upstream values");
    const dependsOn = [...new Set(edges.map((e) => e.from).filter((f) => f !== "params"))];
    return {
      name,
      kind,
      step,
      version: stepVersion(step),
      input,
      over,
      concurrency,
      when: options.when,
      dependsOn,
      edges,
    };
  }

  private checkNew(name: string, step: AnyStep): void {
    checkName("step name", name);
    if (name === "params" || name.startsWith("$")) throw invalid(["step name"], `'${name}' is reserved`);
    if (this.nodes.some((n) => n.name === name))
      throw new MlcycleError("CONFLICT", `pipeline '${this.name}' has a step named '${name}' already`);
    if (!isStep(step)) throw invalid([name], "is not a step: build it with step({...})");
  }

  /** The data edges into step `name` from the references its wiring read (each checked to exist). */
  private dataEdges(name: string, refs: ReadonlyArray<{ target: RefTarget; at: string[] }>): GraphEdge[] {
    return refs.map((r) => {
      this.checkSource(name, r.target);
      return {
        from: r.target.source,
        fromPath: r.target.path.join("."),
        to: name,
        toPath: r.at.join("."),
        kind: "data",
      };
    });
  }

  private checkSource(name: string, t: RefTarget): void {
    if (t.source === "params") return;
    if (!this.nodes.some((n) => n.name === t.source))
      throw invalid([name], `reads '${t.toString()}', but no step '${t.source}' is defined before it`);
  }
}

/**
 * Starts a typed pipeline.
 *
 * @example
 * ```ts
 * const p = pipeline("train", { params: z.object({ lr: z.number().default(0.1) }) })
 *   .step("load", load)
 *   .step("fit", fit, ({ load, params }) => ({ rows: load.rows, lr: params.lr }));
 * const run = await ws.pipelines.run(p, { lr: 0.05 });
 * ```
 */
export function pipeline<PS extends z.ZodType | undefined = undefined>(
  name: string,
  options: PipelineOptions<PS> = {},
): Pipeline<ParamsOf<PS>, {}, ParamsInputOf<PS>> {
  return Pipeline.create(name, options) as Pipeline<ParamsOf<PS>, {}, ParamsInputOf<PS>>;
}

/** Any pipeline, as the engine uses it. */
export interface AnyPipeline {
  readonly kind: "mlcycle.pipeline";
  readonly name: string;
  readonly version: string;
  readonly experiment: string;
  readonly paramsSchema: z.ZodType | undefined;
  readonly nodes: readonly PipelineNode[];
  readonly paramsInput: any;
  readonly outputs: any;
  graph(): PipelineGraph;
  getNode(name: string): PipelineNode;
}
/** The params a pipeline's run accepts (before defaults). */
export type PipelineParamsInput<T> = T extends { readonly paramsInput: infer PI } ? PI : never;
/** The outputs of a pipeline's steps, by name. */
export type PipelineOutputs<T> = T extends { readonly outputs: infer O } ? O : never;
