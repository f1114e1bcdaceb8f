import { describe, expect, it } from "vitest";
import { bufferParts, byteParts } from "../../../src/adapters/s3/byte-parts.js";
import { copyRanges, MAX_SINGLE_COPY } from "../../../src/adapters/s3/s3-copy.js";

async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.byteLength; i++) {
    const n = sizes[i % sizes.length] as number;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

describe("byteParts", () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);

  it.each([
    [[1], 100],
    [[99, 1, 250, 3], 100],
    [[1000], 100],
    [[333], 1000],
    [[7, 0, 13], 64],
  ])("cuts chunks of sizes %j into parts of %i bytes, the last one shorter, losing nothing", async (sizes, size) => {
    const parts: Uint8Array[] = [];
    for await (const p of byteParts(chunked(bytes, sizes), size)) parts.push(p);
    expect(parts.slice(0, -1).every((p) => p.byteLength === size)).toBe(true);
    expect(parts.at(-1)?.byteLength).toBe(1000 - size * (parts.length - 1));
    expect(Buffer.compare(Buffer.concat(parts), bytes)).toBe(0);
  });

  it("yields nothing for an empty stream, and parts that do not share memory with the chunks", async () => {
    const none: Uint8Array[] = [];
    for await (const p of byteParts(chunked(new Uint8Array(0), [1]), 10)) none.push(p);
    expect(none).toEqual([]);
    const source = new Uint8Array(30).fill(1);
    const parts: Uint8Array[] = [];
    for await (const p of byteParts(chunked(source, [30]), 10)) parts.push(p);
    source.fill(9);
    expect(parts.every((p) => p.every((b) => b === 1))).toBe(true);
  });

  it("bufferParts gives views of bytes in hand", () => {
    expect([...bufferParts(bytes, 300)].map((p) => p.byteLength)).toEqual([300, 300, 300, 100]);
    expect([...bufferParts(new Uint8Array(0), 300)]).toEqual([]);
  });
});

describe("copyRanges (multipart copy of objects above 5 GiB)", () => {
  it.each([MAX_SINGLE_COPY + 1, 7 * 1024 ** 3 + 12345, 10 * 1024 ** 4])(
    "covers %i bytes with contiguous inclusive ranges, at most 10,000 parts of 512 MiB to 5 GiB",
    (size) => {
      const ranges = copyRanges(size);
      expect(ranges.length).toBeLessThanOrEqual(10_000);
      expect(ranges[0]?.first).toBe(0);
      expect(ranges.at(-1)?.last).toBe(size - 1);
      for (const [i, r] of ranges.entries()) {
        const length = r.last - r.first + 1;
        if (i < ranges.length - 1) {
          expect(ranges[i + 1]?.first).toBe(r.last + 1);
          expect(length).toBeGreaterThanOrEqual(512 * 1024 ** 2);
        }
        expect(length).toBeLessThanOrEqual(5 * 1024 ** 3);
        expect(length).toBeGreaterThan(0);
      }
    },
  );
});
