/**
 * Regroups a stream of byte chunks of any sizes into parts of exactly `partSize` bytes, the last
 * one shorter (and no part at all for an empty stream). At most one part's worth of chunks is held
 * at a time. Each part is a copy: a producer that reuses its buffers cannot change a part between
 * the moment it is hashed and the moment it is sent.
 */
export async function* byteParts(chunks: AsyncIterable<Uint8Array>, partSize: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (let chunk of chunks) {
    while (pendingBytes + chunk.byteLength >= partSize) {
      const take = partSize - pendingBytes;
      const head = chunk.subarray(0, take);
      chunk = chunk.subarray(take);
      if (pending.length === 0) yield head.slice();
      else {
        pending.push(head);
        yield concat(pending, partSize);
        pending = [];
        pendingBytes = 0;
      }
    }
    if (chunk.byteLength > 0) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
    }
  }
  if (pendingBytes > 0) yield concat(pending, pendingBytes);
}

/** The parts of bytes already in memory: views of `bytes`, `partSize` long except the last. */
export function* bufferParts(bytes: Uint8Array, partSize: number): Generator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += partSize) yield bytes.subarray(at, at + partSize);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
