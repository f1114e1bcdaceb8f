import { invalid } from "../core/errors.js";

/**
 * A reference to a model version: `"iris@champion"` (alias), `"iris@3"` or `"iris@v3"` (number),
 * `"iris@latest"` (highest number), a version id, MLflow-style `"models:/iris@champion"` /
 * `"models:/iris/3"`, or the same as an object.
 */
export type ModelRef = string | { model: string; version: number } | { model: string; alias: string } | { id: string };

/** A reference taken apart. */
export type ParsedRef =
  | { kind: "version"; model: string; version: number }
  | { kind: "alias"; model: string; alias: string }
  | { kind: "latest"; model: string }
  | { kind: "id"; id: string };

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `s` looks like a version id (a ULID) rather than a model name or alias. */
export function isVersionId(s: string): boolean {
  return ULID_RE.test(s);
}
const VERSION_RE = /^v?([1-9][0-9]{0,9})$/;

/** Parses a {@link ModelRef}; `VALIDATION` when it has none of the accepted shapes. */
export function parseModelRef(ref: ModelRef): ParsedRef {
  if (typeof ref === "object" && ref !== null) {
    if ("id" in ref) {
      if (typeof ref.id !== "string" || ref.id.length === 0) throw invalid(["ref", "id"], "must be a non-empty string");
      return { kind: "id", id: ref.id };
    }
    if ("model" in ref && (typeof ref.model !== "string" || ref.model.length === 0))
      throw invalid(["ref", "model"], "must be a non-empty string");
    if ("model" in ref && "version" in ref) {
      const v = ref.version as unknown;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
        throw invalid(["ref", "version"], `must be a positive integer, got ${String(v)}`);
      return { kind: "version", model: ref.model, version: v };
    }
    if ("model" in ref && "alias" in ref) {
      if (typeof ref.alias !== "string" || ref.alias.length === 0)
        throw invalid(["ref", "alias"], "must be a non-empty string");
      return atAlias(ref.model, ref.alias);
    }
    throw invalid(["ref"], "an object reference needs { model, version }, { model, alias } or { id }");
  }
  if (typeof ref !== "string" || ref.length === 0) throw invalid(["ref"], "must be a non-empty string");
  let s = ref;
  if (s.startsWith("models:/")) {
    s = s.slice("models:/".length);
    const slash = s.lastIndexOf("/");
    if (!s.includes("@") && slash > 0) s = `${s.slice(0, slash)}@${s.slice(slash + 1)}`;
  }
  const at = s.lastIndexOf("@");
  if (at < 0) {
    if (ULID_RE.test(s)) return { kind: "id", id: s };
    throw invalid(
      ["ref"],
      `'${ref}' is not a model reference: use name@alias, name@<version>, name@latest or a version id`,
    );
  }
  const model = s.slice(0, at);
  const tail = s.slice(at + 1);
  if (!model || !tail) throw invalid(["ref"], `'${ref}' is not a model reference: use name@alias or name@<version>`);
  return atAlias(model, tail);
}

function atAlias(model: string, tail: string): ParsedRef {
  if (tail === "latest") return { kind: "latest", model };
  const m = VERSION_RE.exec(tail);
  if (m) return { kind: "version", model, version: Number(m[1]) };
  return { kind: "alias", model, alias: tail };
}

/** True when `alias` is reserved for version references (`latest`, `v3`, `3`). */
export function isReservedAlias(alias: string): boolean {
  return alias === "latest" || /^v?[0-9]+$/.test(alias);
}
