import { hashValue, sha256 } from "../core/hash.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { OutputRef } from "../stores/pipeline-store.js";
import {
  builtinSerializer,
  chooseSerializer,
  isPlainJson,
  jsonSerializer,
  type Serializer,
  unknownSerializer,
} from "./serializers.js";
import type { AnyStep } from "./step.js";

/** Where step outputs larger than this (JSON text, in characters) go to the artifact store. */
export const DEFAULT_INLINE_LIMIT = 64 * 1024;

/** Where one output goes: inline in the step record, or through a serializer into the artifact store. */
export type OutputPlacement = { kind: "inline"; ref: OutputRef } | { kind: "artifact"; serializer: Serializer<any> };

/**
 * Decides where an output goes — the one place the inline/artifact rule is written: a step's own
 * serializer always writes an artifact; otherwise `undefined` is stored as inline `null`, plain
 * JSON up to `inlineLimit` characters inline, longer JSON through the JSON serializer, anything
 * else through the serializer that fits it (bytes, typed arrays, structured clone).
 */
export function placeOutput(value: unknown, step: AnyStep, inlineLimit: number): OutputPlacement {
  if (step.serializer) return { kind: "artifact", serializer: step.serializer };
  if (value === undefined) return { kind: "inline", ref: { kind: "inline", value: null, hash: hashValue(null) } };
  if (!isPlainJson(value)) return { kind: "artifact", serializer: chooseSerializer(value) };
  const text = JSON.stringify(value);
  // The JSON text is already at hand: its digest identifies the content (lineage uses it).
  if (text.length <= inlineLimit) return { kind: "inline", ref: { kind: "inline", value, hash: sha256(text) } };
  return { kind: "artifact", serializer: jsonSerializer };
}

/**
 * Writes and reads step outputs: inline when small plain JSON, else serialized into the artifact
 * store (see {@link placeOutput}).
 */
export class StepOutputs {
  /** Outputs larger than this many characters of JSON go to the artifact store. */
  inlineLimit = DEFAULT_INLINE_LIMIT;

  constructor(
    private readonly artifacts: ArtifactStore,
    /** Finds a custom serializer by id among the known definitions (for outputs read back). */
    private readonly findSerializer: (id: string) => Serializer<any> | undefined,
  ) {}

  /** Stores an output; synchronous when it stays inline (the common case costs no await). */
  write(value: unknown, step: AnyStep): OutputRef | Promise<OutputRef> {
    const placed = placeOutput(value, step, this.inlineLimit);
    if (placed.kind === "inline") return placed.ref;
    return this.put(placed.serializer, value);
  }

  private async put(serializer: Serializer<any>, value: unknown): Promise<OutputRef> {
    const info = await this.artifacts.put(serializer.serialize(value));
    return { kind: "artifact", digest: info.digest, size: info.size, serializer: serializer.id, hash: info.digest };
  }

  /** Deletes the blob of an artifact output (one found corrupt, so that it can be written again). */
  async discard(ref: OutputRef): Promise<void> {
    if (ref.kind === "artifact") await this.artifacts.delete(ref.digest);
  }

  /** Reads a stored output back. */
  async read(ref: OutputRef, step?: AnyStep): Promise<unknown> {
    if (ref.kind === "inline") return ref.value;
    const serializer =
      (step?.serializer?.id === ref.serializer ? step.serializer : undefined) ??
      builtinSerializer(ref.serializer) ??
      this.findSerializer(ref.serializer);
    if (!serializer) throw unknownSerializer(ref.serializer);
    return serializer.deserialize(await this.artifacts.get(ref.digest));
  }
}
