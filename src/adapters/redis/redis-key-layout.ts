import { invalid } from "../../core/errors.js";

/** The prefix of every key when none is given. */
export const DEFAULT_REDIS_PREFIX = "mlcycle:online";

/** The characters a view name is encoded for: the separator, the escape and Redis glob patterns. */
const SPECIAL = /[%:*?[\]\\{}]/g;
const GLOB = /[*?[\]\\]/g;

/**
 * A view name as it appears in a key: `%`, `:`, the glob characters `* ? [ ] \` and the hash-tag
 * braces `{ }` written as `%XX` (their UTF-8 hex), every other character kept. So an encoded name
 * never holds the separator, two names never share an encoding, and `SCAN MATCH` needs no escape.
 *
 * @example
 * ```ts
 * encodeKeyPart("driver:stats*"); // "driver%3Astats%2A"
 * ```
 */
export function encodeKeyPart(text: string): string {
  return text.replace(SPECIAL, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** `text` with the glob characters of `SCAN MATCH` escaped, so the pattern matches it literally. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB, (c) => `\\${c}`);
}

/**
 * Where the Redis online store keeps each record: one hash per (view, entity key) at
 * `<prefix>:<encoded view>:<entity key>`, with fields `e` (event time), `c` (created time) and `v`
 * (the values as JSON). The view is encoded by {@link encodeKeyPart}, so it holds no `:` and a key
 * of one view never falls under another's; the entity key comes last and is kept as it is.
 *
 * @example
 * ```ts
 * const layout = new RedisKeyLayout("shop:features");
 * layout.key("driver_stats", "1001"); // "shop:features:driver_stats:1001"
 * layout.viewPattern("driver_stats"); // "shop:features:driver_stats:*"
 * ```
 */
export class RedisKeyLayout {
  private readonly viewPrefixes = new Map<string, string>();

  constructor(readonly prefix: string = DEFAULT_REDIS_PREFIX) {
    if (typeof prefix !== "string" || prefix.length === 0)
      throw invalid(["prefix"], "must be a non-empty string (every key of the store starts with it and ':')");
  }

  /** `<prefix>:<encoded view>:`, the start of every key of the view (cached per view). */
  viewPrefix(view: string): string {
    let p = this.viewPrefixes.get(view);
    if (p === undefined) {
      if (typeof view !== "string") throw invalid(["view"], "must be a string");
      p = `${this.prefix}:${encodeKeyPart(view)}:`;
      if (this.viewPrefixes.size >= 10_000) this.viewPrefixes.clear();
      this.viewPrefixes.set(view, p);
    }
    return p;
  }

  /** The key of one record. */
  key(view: string, entityKey: string): string {
    return this.viewPrefix(view) + entityKey;
  }

  /** The `SCAN MATCH` pattern of every key of a view, and of no other key. */
  viewPattern(view: string): string {
    return `${escapeGlob(this.viewPrefix(view))}*`;
  }

  /** The `SCAN MATCH` pattern of every key of the store. */
  storePattern(): string {
    return `${escapeGlob(this.prefix)}:*`;
  }
}
