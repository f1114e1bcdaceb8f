import type { JsonSchema } from "../index.js";

/**
 * What a model's signature says its inputs look like, as far as mapping a data frame onto them goes:
 *
 * - `tensor`: rows of values (`number[][]`), the shape of a single tensor input. `columns` are the
 *   names of the row's positions when the signature gives them (a tuple whose items have a `title`);
 *   a data frame's columns are then put in that order.
 * - `records`: rows as objects (`Array<{ a: number, b: string }>`); `types` are the JSON Schema types
 *   of the properties (to read CSV cells).
 * - `named`: an object of named tensors (`{ input_a: number[][], input_b: … }`), as a model with
 *   several inputs takes; a data frame's columns become the tensors.
 * - `unknown`: no signature (or one that is none of the above): a data frame is read as a tensor in
 *   the column order it was sent, as MLflow does for a single-input ONNX model.
 */
export type InputShape =
  | { kind: "tensor"; columns?: string[] }
  | { kind: "records"; columns: string[]; types: Record<string, string | undefined> }
  | { kind: "named"; names: string[] }
  | { kind: "unknown" };

type Schema = Record<string, unknown>;

function resolveRef(root: Schema, schema: unknown): Schema | undefined {
  let s = schema as Schema | undefined;
  for (let hops = 0; s && typeof s.$ref === "string" && hops < 16; hops++) {
    const ref = s.$ref as string;
    if (!ref.startsWith("#/")) return undefined;
    let target: unknown = root;
    for (const part of ref.slice(2).split("/")) target = (target as Schema | undefined)?.[decodeURIComponent(part)];
    s = target as Schema | undefined;
  }
  return s && typeof s === "object" ? s : undefined;
}

function typeOf(s: Schema | undefined): string | undefined {
  if (!s) return undefined;
  if (typeof s.type === "string") return s.type;
  if (Array.isArray(s.type)) return (s.type as unknown[]).find((t) => t !== "null") as string | undefined;
  return undefined;
}

/** Reads the {@link InputShape} of a signature's input JSON Schema (undefined: no signature). */
export function inputShape(schema: JsonSchema | undefined): InputShape {
  if (!schema || typeof schema !== "object") return { kind: "unknown" };
  const root = schema as Schema;
  const top = resolveRef(root, root);
  const type = typeOf(top);
  if (type === "array") {
    const row = resolveRef(root, top?.items);
    const rowType = typeOf(row);
    if (rowType === "object" && row?.properties && typeof row.properties === "object") {
      const props = row.properties as Record<string, unknown>;
      const columns = Object.keys(props);
      const types = Object.fromEntries(columns.map((c) => [c, typeOf(resolveRef(root, props[c]))]));
      return { kind: "records", columns, types };
    }
    if (rowType === "array") {
      const positions = Array.isArray(row?.prefixItems) ? (row.prefixItems as unknown[]) : [];
      const titles = positions.map((p) => resolveRef(root, p)?.title);
      if (titles.length > 0 && titles.every((t) => typeof t === "string" && t.length > 0))
        return { kind: "tensor", columns: titles as string[] };
      return { kind: "tensor" };
    }
    return { kind: "tensor" };
  }
  if (type === "object" && top?.properties && typeof top.properties === "object")
    return { kind: "named", names: Object.keys(top.properties as object) };
  return { kind: "unknown" };
}
