import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";
import type { SignatureRecord } from "../stores/registry-store.js";
import { compileCheck } from "./compiled-check.js";

/** A JSON Schema document (as `z.toJSONSchema` emits it). */
export type JsonSchema = Record<string, unknown>;

/** A schema given to the registry: a zod schema (kept in process) or a JSON Schema. */
export type SchemaLike = z.ZodType | JsonSchema;

/**
 * What a model takes and returns. Zod schemas are stored as JSON Schema (zod 4's `z.toJSONSchema`),
 * so a version loaded in another process still validates its inputs.
 *
 * @example
 * ```ts
 * const signature = { inputs: z.array(z.array(z.number()).length(4)), outputs: z.array(z.number()) };
 * ```
 */
export interface ModelSignature {
  inputs?: SchemaLike;
  outputs?: SchemaLike;
}

/** True when `s` is a zod schema rather than a JSON Schema object. */
export function isZodSchema(s: unknown): s is z.ZodType {
  return typeof s === "object" && s !== null && "_zod" in s && typeof (s as z.ZodType).safeParse === "function";
}

/**
 * The JSON Schema of each zod schema converted so far. A zod schema is immutable (its methods return
 * new schemas), so registering many versions with one signature converts it once; each caller gets
 * its own copy of the document.
 */
const converted = new WeakMap<z.ZodType, JsonSchema>();

function toJsonSchema(what: string, s: SchemaLike): JsonSchema {
  if (isZodSchema(s)) {
    let doc = converted.get(s);
    if (doc === undefined) {
      try {
        // `io: "input"`: the stored schema describes what callers pass, before any transform.
        doc = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;
      } catch (error) {
        throw invalid(["signature", what], `cannot be converted to JSON Schema: ${(error as Error).message}`);
      }
      converted.set(s, doc);
    }
    return structuredClone(doc);
  }
  if (typeof s !== "object" || s === null || Array.isArray(s))
    throw invalid(["signature", what], "must be a zod schema or a JSON Schema object");
  return s;
}

/** The stored form of a signature; `VALIDATION` when a schema cannot be expressed as JSON Schema. */
export function signatureRecord(signature: ModelSignature | undefined): SignatureRecord | undefined {
  if (!signature) return undefined;
  const out: SignatureRecord = {};
  if (signature.inputs !== undefined) out.inputs = toJsonSchema("inputs", signature.inputs);
  if (signature.outputs !== undefined) out.outputs = toJsonSchema("outputs", signature.outputs);
  return out;
}

/** A function that returns its argument parsed by the schema, or throws `VALIDATION` with zod's issues. */
export type Validator = (value: unknown) => unknown;

/**
 * A validator from a zod schema, or from a stored JSON Schema (rebuilt with `z.fromJSONSchema`).
 * `what` names the value in error messages, e.g. `inputs of iris@3`. The schema is compiled once
 * into a check of its shape ({@link compileCheck}): a value that passes it is returned as it is,
 * without zod's copy; anything else — invalid, or outside what the check models — is parsed by zod,
 * whose answer (its issues, or its parsed value) stands.
 */
export function validatorFor(schema: SchemaLike, what: string): Validator {
  let zod: z.ZodType;
  if (isZodSchema(schema)) zod = schema;
  else {
    try {
      zod = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (error) {
      throw invalid(["signature"], `the stored JSON Schema of ${what} cannot be read: ${(error as Error).message}`);
    }
  }
  // A batch the compiled check passes is passed on as it is; any other is zod's to answer.
  const check = compileCheck(zod);
  return (value) => {
    if (check?.(value)) return value;
    const r = zod.safeParse(value);
    if (!r.success) throw fromZodError(r.error, what);
    return r.data;
  };
}
