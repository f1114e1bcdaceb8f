import type { Context } from "hono";
import { invalid, type Workspace } from "../../index.js";

/** What every route of the dashboard's API is given: the workspace it reads. */
export interface ApiContext {
  ws: Workspace;
}

/** A JSON response. */
export const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body, jsonReplacer), { status, headers: { "content-type": "application/json" } });

/** JSON with what JSON cannot hold made plain: bigints → numbers, typed arrays → arrays, Maps → objects. */
function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>);
  if (v instanceof Map) return Object.fromEntries(v);
  if (v instanceof Set) return [...v];
  return v;
}

/** An integer query parameter within [min, max]; `fallback` when absent; `VALIDATION` otherwise. */
export function intQuery(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalid(["query", name], `must be an integer from ${min} to ${max} (got '${raw}')`);
  return n;
}

/** One page of a list held in memory: `offset`/`limit` query parameters, with the total. */
export interface ListPage<T> {
  items: T[];
  total: number;
  offset: number;
  /** The offset of the next page, when there is one. */
  nextOffset?: number;
}

/** Pages `items` by the `offset` and `limit` query parameters (default limit 100, at most 1000). */
export function pageOf<T>(c: Context, items: readonly T[], defaultLimit = 100): ListPage<T> {
  const offset = intQuery(c, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intQuery(c, "limit", defaultLimit, 1, 1000);
  const page = items.slice(offset, offset + limit);
  const next = offset + page.length;
  return { items: page, total: items.length, offset, ...(next < items.length ? { nextOffset: next } : {}) };
}
