import { hashValue } from "../core/hash.js";
import { lineageIds } from "../lineage/external-ids.js";
import type { LineageBatchEdge, LineageNodeInput, LineageStore } from "../stores/lineage-store.js";
import type { OutputRef, PipelineStore, StepRunStatus } from "../stores/pipeline-store.js";
import type { AnyPipeline, PipelineNode } from "./pipeline.js";
import type { ActiveRun } from "./pipeline-run-types.js";

/** The lineage records of one step run: its execution (node 0), its output artifact (node 1), their edges. */
export interface StepLineage {
  nodes: readonly LineageNodeInput[];
  edges: readonly LineageBatchEdge[];
}

/** What {@link PipelineLineage.stepLineage} describes. */
export interface StepLineageInput {
  runId: string;
  pipeline: AnyPipeline;
  node: PipelineNode;
  output: OutputRef;
  status: StepRunStatus;
  cacheKey: string;
  /** The run when this process drives it (its context and upstream artifact ids are at hand). */
  active: ActiveRun | undefined;
  trackingRunId?: string;
}

/**
 * The lineage of pipeline runs: a `pipeline_run` context per run, and per step run an execution
 * with its output artifact and the output artifacts of the steps it read as inputs. External ids
 * come from {@link lineageIds}.
 */
export class PipelineLineage {
  private readonly contexts = new Map<string, string>();

  constructor(
    private readonly lineage: LineageStore,
    private readonly pipelines: PipelineStore,
  ) {}

  /** The id of a run's context node, written on first use (with the params when small). */
  async context(runId: string, p: AnyPipeline, params?: unknown): Promise<string> {
    const known = this.contexts.get(runId);
    if (known) return known;
    const properties: Record<string, unknown> = { pipeline: p.name, version: p.version, runId };
    if (params !== undefined) {
      // The params a run used, with the context when small (their hash always).
      const text = JSON.stringify(params ?? null);
      properties.paramsHash = hashValue(params ?? null);
      if (text.length <= 8192) properties.params = params;
    }
    const node = await this.lineage.putNode({
      kind: "context",
      type: "pipeline_run",
      name: `${p.name}/${runId}`,
      externalId: lineageIds.pipelineRun(runId),
      properties,
    });
    if (this.contexts.size > 1000) this.contexts.clear();
    this.contexts.set(runId, node.id);
    return node.id;
  }

  /** Forgets a run's context id once the run ends in this process. */
  forget(runId: string): void {
    this.contexts.delete(runId);
  }

  /**
   * The nodes and edges recording a step run, ready to be written as one batch: the execution, its
   * output artifact, their membership in the run's context, and an input edge from each upstream
   * step's output artifact (found in this process, else through the store).
   */
  async stepLineage(s: StepLineageInput): Promise<StepLineage> {
    const { runId, pipeline: p, node, output, active } = s;
    const contextId = active?.contextId ?? (await this.context(runId, p));
    const edges: LineageBatchEdge[] = [
      { type: "event", from: 0, to: 1, direction: "output", slot: "output" },
      { type: "association", from: 0, to: contextId },
      { type: "attribution", from: 1, to: contextId },
    ];
    for (const [from, slot] of inputSlots(node)) {
      let artId = active?.artifactIds.get(from);
      if (!artId) {
        const rec = await this.pipelines.getStep(runId, from);
        if (rec?.output)
          artId = (await this.lineage.findByExternalId("artifact", lineageIds.stepOutput(rec.output.hash)))?.id;
      }
      if (artId) edges.push({ type: "event", from: 0, to: artId, direction: "input", slot });
    }
    const nodes: LineageNodeInput[] = [
      {
        kind: "execution",
        type: "step_run",
        name: node.name,
        externalId: lineageIds.stepRun(runId, node.name),
        properties: {
          pipeline: p.name,
          pipelineRunId: runId,
          step: node.step.name,
          version: node.version,
          status: s.status,
          cacheKey: s.cacheKey,
          ...(s.trackingRunId ? { trackingRunId: s.trackingRunId } : {}),
        },
      },
      {
        kind: "artifact",
        type: "step_output",
        name: `${p.name}/${node.name}`,
        externalId: lineageIds.stepOutput(output.hash),
        properties:
          output.kind === "artifact" ? { serializer: output.serializer, size: output.size } : { inline: true },
        ...(output.kind === "artifact" ? { digest: output.digest } : {}),
      },
    ];
    return { nodes, edges };
  }
}

const slotsOf = new WeakMap<PipelineNode, ReadonlyArray<readonly [string, string]>>();

/**
 * The upstream steps a node reads its input from, each with the slot its input event records (the
 * input paths it fills from that step, comma-separated): fixed by the definition, so worked out
 * once per node.
 */
function inputSlots(node: PipelineNode): ReadonlyArray<readonly [string, string]> {
  let known = slotsOf.get(node);
  if (known) return known;
  const slots = new Map<string, string[]>();
  for (const e of node.edges) {
    if (e.kind === "control" || e.from === "params") continue;
    const list = slots.get(e.from);
    if (list) list.push(e.toPath);
    else slots.set(e.from, [e.toPath]);
  }
  known = [...slots].map(([from, paths]) => [from, paths.join(",")] as const);
  slotsOf.set(node, known);
  return known;
}
