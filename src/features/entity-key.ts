import { MlcycleError } from "../core/errors.js";
import type { JoinKey } from "../stores/feature-registry-store.js";

/**
 * Encodes the join-key values of one row as the entity key the stores index: the JSON of the value
 * for one join key, of the array of values for several. Values are checked against their declared
 * types first, so `12` and `"12"` never meet by accident.
 *
 * @example
 * ```ts
 * encodeEntityKey([{ name: "driver_id", type: "int" }], { driver_id: 12 }); // "12"
 * ```
 */
export function encodeEntityKey(
  joinKeys: readonly JoinKey[],
  row: Record<string, unknown>,
  path: readonly PropertyKey[] = NO_PATH,
): string {
  if (joinKeys.length === 1) {
    const v = checkJoinValue(joinKeys[0], row[joinKeys[0].name], path);
    // For a safe integer, String() is its JSON.
    return typeof v === "number" ? String(v) : JSON.stringify(v);
  }
  const values = new Array(joinKeys.length);
  for (let i = 0; i < joinKeys.length; i++) values[i] = checkJoinValue(joinKeys[i], row[joinKeys[i].name], path);
  return JSON.stringify(values);
}

/** Decodes an entity key back to its join-key values. */
export function decodeEntityKey(joinKeys: readonly JoinKey[], key: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch (error) {
    throw new MlcycleError(
      "VALIDATION",
      `'${String(key).slice(0, 60)}' is not an entity key (the JSON of its values)`,
      {
        issues: [{ code: "invalid_format", path: ["key"], message: "is not an entity key" }],
        cause: error,
      },
    );
  }
  if (joinKeys.length === 1) return { [joinKeys[0].name]: parsed };
  if (!Array.isArray(parsed) || parsed.length !== joinKeys.length)
    throw new MlcycleError("VALIDATION", `'${String(key).slice(0, 60)}' is not a key of ${joinKeys.length} join keys`, {
      issues: [{ code: "invalid_format", path: ["key"], message: `is not a key of ${joinKeys.length} join keys` }],
    });
  return Object.fromEntries(joinKeys.map((k, i) => [k.name, parsed[i]]));
}

const NO_PATH: readonly PropertyKey[] = Object.freeze([]);

function checkJoinValue(key: JoinKey, value: unknown, path: readonly PropertyKey[]): string | number {
  if (key.type === "int") {
    if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  } else if (typeof value === "string") return value;
  throw joinKeyError(key, value, path);
}

/**
 * The error of a join-key value of the wrong type: names the key, the declared type and what was
 * found, in the message, the issue (`expected`, `received`) and `details`. Values are never
 * coerced (`12` and `"12"` are different entities), unlike Feast, which converts entity values to
 * the declared value type.
 */
function joinKeyError(key: JoinKey, value: unknown, path: readonly PropertyKey[]): MlcycleError {
  const expected = key.type === "int" ? "an integer (a safe-integer number)" : "a string";
  const received =
    value === undefined
      ? "undefined"
      : value === null
        ? "null"
        : typeof value === "number" && !Number.isSafeInteger(value)
          ? Number.isInteger(value)
            ? "unsafe integer"
            : "non-integer number"
          : typeof value;
  const fullPath = [...path, key.name];
  const where = path.length ? `${path.map(String).join(".")}: ` : "";
  const message = `join key '${key.name}' is declared ${key.type} and must be ${expected}, got ${show(value)}`;
  return new MlcycleError("VALIDATION", `${where}${message}`, {
    issues: [{ code: "invalid_type", path: fullPath, message, expected: key.type, received }],
    details: { joinKey: key.name, expected: key.type, received },
  });
}

function show(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  return typeof value === "string" ? `'${value.slice(0, 40)}'` : `${typeof value} ${String(value).slice(0, 40)}`;
}
