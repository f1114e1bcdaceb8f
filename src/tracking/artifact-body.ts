import { invalid } from "../core/errors.js";
import { hasLoneSurrogate } from "../core/validation.js";
import type { ArtifactBody } from "../stores/artifact-store.js";

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return !name || name === "Object" ? "an object" : `a ${name}`;
  }
  return typeof value;
}

const BODY_KINDS = "a string, a Uint8Array (or Buffer), or an (async) iterable of Uint8Array chunks";

/**
 * Checks an artifact body before anything is stored: a well-formed string, a `Uint8Array`, or an
 * (async) iterable of chunks. An iterable is returned wrapped so that each chunk is checked as it
 * comes (a `Uint8Array`; an async iterable such as a stream with an encoding may also yield
 * strings): a wrong chunk is `VALIDATION` and the put fails before the artifact is recorded.
 */
export function artifactBody(body: unknown, what = "body"): ArtifactBody {
  if (typeof body === "string") {
    if (hasLoneSurrogate(body))
      throw invalid(
        [what],
        "contains an unpaired UTF-16 surrogate (a broken character): it cannot be written as UTF-8",
      );
    return body;
  }
  if (body instanceof Uint8Array) return body;
  if (typeof body !== "object" || body === null || ArrayBuffer.isView(body) || body instanceof ArrayBuffer)
    throw invalid([what], `must be ${BODY_KINDS}, got ${describe(body)}`);
  const asyncIterator = (body as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator];
  if (typeof asyncIterator === "function") return checkedAsync(body as AsyncIterable<unknown>, what);
  const iterator = (body as Partial<Iterable<unknown>>)[Symbol.iterator];
  if (typeof iterator === "function") return checkedSync(body as Iterable<unknown>, what);
  throw invalid([what], `must be ${BODY_KINDS}, got ${describe(body)}`);
}

function* checkedSync(body: Iterable<unknown>, what: string): Iterable<Uint8Array> {
  let i = 0;
  for (const chunk of body) {
    if (!(chunk instanceof Uint8Array))
      throw invalid([what, i], `every chunk must be a Uint8Array, got ${describe(chunk)}`);
    i++;
    yield chunk;
  }
}

async function* checkedAsync(body: AsyncIterable<unknown>, what: string): AsyncIterable<Uint8Array> {
  let i = 0;
  for await (const chunk of body) {
    if (typeof chunk === "string") {
      if (hasLoneSurrogate(chunk))
        throw invalid([what, i], "contains an unpaired UTF-16 surrogate (a broken character)");
      yield new TextEncoder().encode(chunk);
    } else if (chunk instanceof Uint8Array) yield chunk;
    else throw invalid([what, i], `every chunk must be a Uint8Array or a string, got ${describe(chunk)}`);
    i++;
  }
}
