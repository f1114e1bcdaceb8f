import { createHash } from "node:crypto";
import * as sdk from "@aws-sdk/client-s3";
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { s3ArtifactStore } from "../../../src/adapters/s3/index.js";
import { createWorkspace, functionModel, isMlcycleError, type MlcycleError } from "../../../src/index.js";
import { artifactStoreSuite } from "../../../src/testing/index.js";
import { useS3rver } from "./s3rver.js";

const MiB = 1024 ** 2;
const { server } = useS3rver();
let bucket: string | undefined;
/** The bucket of this file, created on first use. */
async function fileBucket(): Promise<string> {
  bucket ??= await server().createBucket("artifacts");
  return bucket;
}
let prefixes = 0;
const freshPrefix = () => `runs/${process.pid}/p${++prefixes}`;
const hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** Every key of the bucket, read with the raw client (not through the store). */
async function bucketKeys(client: S3Client, name: string, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: name, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) keys.push(o.Key as string);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

interface Sent {
  command: string;
  input: Record<string, unknown>;
  /** Bytes of the body read so far when the command was sent (counted by the test's body, if any). */
  read: number;
  /** Parts whose upload had been answered when the command was sent. */
  partsDone: number;
}

/** What a recording client saw: the commands, parts in flight at most. */
interface Seen {
  sent: Sent[];
  maxPartsInFlight: number;
}

/** A client on s3rver that records each command it sends (a middleware on the real client). */
function recordingClient(read: { bytes: number } = { bytes: 0 }): { client: S3Client } & Seen {
  const client = server().client();
  const seen: Seen = { sent: [], maxPartsInFlight: 0 };
  let partsDone = 0;
  let inFlight = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, "");
      seen.sent.push({ command, input: args.input as Record<string, unknown>, read: read.bytes, partsDone });
      if (command !== "UploadPart") return next(args);
      seen.maxPartsInFlight = Math.max(seen.maxPartsInFlight, ++inFlight);
      try {
        return await next(args);
      } finally {
        inFlight--;
        partsDone++;
      }
    },
    { step: "initialize", name: "recordCommands" },
  );
  return {
    client,
    ...seen,
    get maxPartsInFlight() {
      return seen.maxPartsInFlight;
    },
  };
}

/** `total` bytes (a repeating pattern, different for each `seed`) in chunks of `chunk` bytes, made as read. */
async function* pattern(total: number, chunk: number, seed = 0, read?: { bytes: number }): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < total; at += chunk) {
    const n = Math.min(chunk, total - at);
    const c = new Uint8Array(n);
    for (let i = 0; i < n; i++) c[i] = (at + i + seed) % 251;
    if (read) read.bytes += n;
    yield c;
  }
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}

async function caught(p: Promise<unknown>): Promise<MlcycleError> {
  try {
    await p;
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw e;
  }
  throw new Error("expected an MlcycleError");
}

let suitePrefix = "";
artifactStoreSuite(
  "S3 (s3rver)",
  async () => {
    suitePrefix = freshPrefix();
    return s3ArtifactStore({ client: server().client(), bucket: await fileBucket(), prefix: suitePrefix });
  },
  {
    // Overwrites the object with other bytes through the raw client, behind the store's back.
    corrupt: async (_store, digest) => {
      await server()
        .client()
        .send(
          new PutObjectCommand({
            Bucket: await fileBucket(),
            Key: `${suitePrefix}/sha256/${digest}`,
            Body: new TextEncoder().encode("tampered"),
          }),
        );
    },
  },
);

describe("s3ArtifactStore on s3rver", () => {
  it("streams an artifact above the part size as a multipart upload to a temporary key, then copies it under its digest", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const { client, sent } = recordingClient();
    const store = s3ArtifactStore({ client, bucket: name, prefix, partSize: 5 * MiB });
    const size = 12 * MiB;
    const expected = await collect(pattern(size, 700_000));
    const info = await store.put(pattern(size, 700_000));
    expect(info).toEqual({ digest: hex(expected), size });

    const commands = sent.map((s) => s.command);
    expect(commands).toEqual([
      "CreateMultipartUpload",
      "UploadPart",
      "UploadPart",
      "UploadPart",
      "CompleteMultipartUpload",
      "CopyObject",
      "DeleteObject",
    ]);
    const temporary = sent[0]?.input.Key as string;
    expect(temporary.startsWith(`${prefix}/uploads/`)).toBe(true);
    const parts = sent.filter((s) => s.command === "UploadPart");
    expect(parts.map((p) => (p.input.Body as Uint8Array).byteLength)).toEqual([5 * MiB, 5 * MiB, 2 * MiB]);
    expect(parts.map((p) => p.input.Key)).toEqual([temporary, temporary, temporary]);
    expect(sent[5]?.input).toMatchObject({
      Key: `${prefix}/sha256/${info.digest}`,
      CopySource: `${name}/${temporary}`,
    });

    expect(Buffer.compare(Buffer.from(await store.get(info.digest)), expected)).toBe(0);
    expect(Buffer.compare(await collect(store.stream(info.digest)), expected)).toBe(0);
    expect(await store.stat(info.digest)).toEqual({ digest: info.digest, size });
    // Only the committed blob is left: the temporary object was removed.
    expect(await bucketKeys(client, name, `${prefix}/`)).toEqual([`${prefix}/sha256/${info.digest}`]);
  });

  it("sends bytes in hand above the part size in parts straight to their digest key (no copy)", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const { client, sent } = recordingClient();
    const store = s3ArtifactStore({ client, bucket: name, prefix, partSize: 5 * MiB, sdk });
    const bytes = await collect(pattern(11 * MiB, MiB, 7));
    const info = await store.put(bytes);
    expect(info).toEqual({ digest: hex(bytes), size: 11 * MiB });
    expect(sent.map((s) => s.command)).toEqual([
      "CreateMultipartUpload",
      "UploadPart",
      "UploadPart",
      "UploadPart",
      "CompleteMultipartUpload",
    ]);
    expect(sent[0]?.input.Key).toBe(`${prefix}/sha256/${info.digest}`);
    expect(Buffer.compare(Buffer.from(await store.get(info.digest)), bytes)).toBe(0);
  });

  it("sends a stream that ends within one part in one PutObject under its digest", async () => {
    const { client, sent } = recordingClient();
    const store = s3ArtifactStore({ client, bucket: await fileBucket(), prefix: freshPrefix(), partSize: 5 * MiB });
    const info = await store.put(pattern(5 * MiB, 300_000));
    expect(info.size).toBe(5 * MiB);
    expect(sent.map((s) => s.command)).toEqual(["PutObject"]);
  });

  it.each([1, 2])(
    "reads a body no faster than it sends it (queueSize %i): bounded parts in flight and read ahead",
    async (queueSize) => {
      const read = { bytes: 0 };
      const recorder = recordingClient(read);
      const partSize = 5 * MiB;
      const store = s3ArtifactStore({
        client: recorder.client,
        bucket: await fileBucket(),
        prefix: freshPrefix(),
        partSize,
        queueSize,
      });
      const chunk = 512 * 1024;
      await store.put(pattern(6 * partSize, chunk, 3, read));
      const parts = recorder.sent.filter((s) => s.command === "UploadPart");
      expect(parts).toHaveLength(6);
      expect(recorder.maxPartsInFlight).toBeLessThanOrEqual(queueSize);
      // A part is read only once a slot is free: no more than the parts answered, those in flight,
      // the one being cut and a chunk of the next have been read when a part is sent.
      for (const p of parts) expect(p.read).toBeLessThanOrEqual((p.partsDone + queueSize + 1) * partSize + chunk);
    },
  );

  it("aborts the multipart upload when the body fails midway, and leaves no object under the prefix", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const { client, sent } = recordingClient();
    const store = s3ArtifactStore({ client, bucket: name, prefix, partSize: 5 * MiB });
    async function* failing() {
      yield* pattern(11 * MiB, MiB);
      throw new Error("the source went away");
    }
    await expect(store.put(failing())).rejects.toThrow("the source went away");
    expect(sent[0]?.command).toBe("CreateMultipartUpload");
    const uploadIds = new Set(sent.filter((s) => s.command === "UploadPart").map((s) => s.input.UploadId));
    expect(uploadIds.size).toBe(1);
    const abort = sent.find((s) => s.command === "AbortMultipartUpload");
    expect(abort?.input).toMatchObject({ UploadId: [...uploadIds][0], Key: sent[0]?.input.Key });
    expect(sent.some((s) => s.command === "CompleteMultipartUpload")).toBe(false);
    expect(await bucketKeys(client, name, `${prefix}/`)).toEqual([]);
  });

  /** A client that fails the `nth` command named `command` the way S3 does when it is overloaded. */
  function failingClient(command: string, nth = 1) {
    const recorder = recordingClient();
    let seen = 0;
    recorder.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (String(context.commandName) === `${command}Command` && ++seen === nth)
          throw Object.assign(new Error("Please reduce your request rate."), {
            name: "SlowDown",
            Code: "SlowDown",
            $metadata: { httpStatusCode: 503 },
          });
        return next(args);
      },
      { step: "initialize", name: "failCommand" },
    );
    return recorder;
  }

  it("a part the endpoint refuses: UNAVAILABLE with the S3 error as cause, the upload aborted, no blob", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const { client, sent } = failingClient("UploadPart", 2);
    const store = s3ArtifactStore({ client, bucket: name, prefix, partSize: 5 * MiB });
    const error = await caught(store.put(pattern(16 * MiB, MiB)));
    expect(error.code).toBe("UNAVAILABLE");
    expect(error.message).toContain("uploading part 2");
    expect((error.cause as Error).name).toBe("SlowDown");
    expect(sent.some((s) => s.command === "AbortMultipartUpload")).toBe(true);
    expect(sent.some((s) => s.command === "CompleteMultipartUpload")).toBe(false);
    expect(await bucketKeys(client, name, `${prefix}/`)).toEqual([]);
  });

  it("a multipart upload the endpoint will not start: the error is thrown and the body closed", async () => {
    const { client } = failingClient("CreateMultipartUpload");
    const store = s3ArtifactStore({ client, bucket: await fileBucket(), prefix: freshPrefix(), partSize: 5 * MiB });
    let closed = false;
    async function* body() {
      try {
        yield* pattern(20 * MiB, MiB);
      } finally {
        closed = true;
      }
    }
    expect((await caught(store.put(body()))).code).toBe("UNAVAILABLE");
    expect(closed).toBe(true);
  });

  it("a copy the endpoint refuses: the error is thrown and the temporary object removed", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const { client, sent } = failingClient("CopyObject");
    const store = s3ArtifactStore({ client, bucket: name, prefix, partSize: 5 * MiB });
    const error = await caught(store.put(pattern(6 * MiB, MiB)));
    expect(error.code).toBe("UNAVAILABLE");
    expect(sent.map((s) => s.command).slice(-2)).toEqual(["CopyObject", "DeleteObject"]);
    expect(await bucketKeys(client, name, `${prefix}/`)).toEqual([]);
  });

  it("INTEGRITY when a multipart object's bytes were replaced, from get and from stream", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const client = server().client();
    const store = s3ArtifactStore({ client, bucket: name, prefix, partSize: 5 * MiB });
    const info = await store.put(pattern(12 * MiB, MiB));
    const tampered = await collect(pattern(12 * MiB, MiB, 1));
    await client.send(new PutObjectCommand({ Bucket: name, Key: `${prefix}/sha256/${info.digest}`, Body: tampered }));
    const error = await caught(store.get(info.digest));
    expect(error.code).toBe("INTEGRITY");
    expect(error.details).toMatchObject({ digest: info.digest, actual: hex(tampered) });
    let streamed = 0;
    const streaming = (async () => {
      for await (const c of store.stream(info.digest)) streamed += c.byteLength;
    })();
    expect((await caught(streaming)).code).toBe("INTEGRITY");
    expect(streamed).toBe(12 * MiB);
    // Putting the content again repairs it.
    expect(await store.put(pattern(12 * MiB, MiB))).toEqual(info);
    expect(hex(await store.get(info.digest))).toBe(info.digest);
  });

  it("keeps every key under its prefix; stores under other prefixes of the bucket do not see each other", async () => {
    const name = await fileBucket();
    const client = server().client();
    const root = freshPrefix();
    const a = s3ArtifactStore({ client, bucket: name, prefix: `${root}/a`, partSize: 5 * MiB });
    const ab = s3ArtifactStore({ client, bucket: name, prefix: `${root}/ab/`, partSize: 5 * MiB });
    const small = await a.put("model bytes");
    const large = await a.put(pattern(6 * MiB, MiB));
    await ab.put("other team's bytes");
    await a.delete(small.digest);
    await a.put("model bytes");

    const keys = await bucketKeys(client, name, `${root}/`);
    expect(keys.sort()).toEqual(
      [
        `${root}/a/sha256/${small.digest}`,
        `${root}/a/sha256/${large.digest}`,
        `${root}/ab/sha256/${hex("other team's bytes")}`,
      ].sort(),
    );
    const listed = async (store: typeof a) => {
      const out: string[] = [];
      for await (const i of store.list()) out.push(i.digest);
      return out.sort();
    };
    expect(await listed(a)).toEqual([small.digest, large.digest].sort());
    expect(await listed(ab)).toEqual([hex("other team's bytes")]);
    expect(await ab.has(small.digest)).toBe(false);
  });

  it("refuses a prefix or bucket that could name a key elsewhere (VALIDATION), before any request", () => {
    const client = server().client();
    const bad = ["../x", "a/../b", "a/./b", "/abs", "a//b", ".", "..", "a\\b", "a b", "a?b", "x".repeat(600), 5];
    for (const prefix of bad) {
      expect(() => s3ArtifactStore({ client, bucket: "ok-bucket", prefix: prefix as string }), String(prefix)).toThrow(
        expect.objectContaining({ code: "VALIDATION" }),
      );
    }
    for (const name of ["", "a/b", "..", "ab", "b?x", "-x-"]) {
      expect(() => s3ArtifactStore({ client, bucket: name }), name).toThrow(
        expect.objectContaining({ code: "VALIDATION" }),
      );
    }
    for (const partSize of [1024, 5 * MiB - 1, 5 * MiB + 0.5, 6 * 1024 ** 3])
      expect(() => s3ArtifactStore({ client, bucket: "ok-bucket", partSize }), String(partSize)).toThrow(
        expect.objectContaining({ code: "VALIDATION" }),
      );
    expect(() => s3ArtifactStore({ client: {} as never, bucket: "ok-bucket" })).toThrow(
      expect.objectContaining({ code: "VALIDATION" }),
    );
  });

  it("lists page by page, and only blobs: other keys under the prefix are skipped", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const client = server().client();
    const store = s3ArtifactStore({ client, bucket: name, prefix, listPageSize: 2 });
    const put = await Promise.all(["1", "2", "3", "4", "5"].map((s) => store.put(s)));
    for (const key of ["sha256/not-a-digest", `sha256/${"A".repeat(64)}`, "uploads/abandoned", "readme"])
      await client.send(new PutObjectCommand({ Bucket: name, Key: `${prefix}/${key}`, Body: new Uint8Array([1]) }));
    const listed: Array<{ digest: string; size: number }> = [];
    for await (const i of store.list()) listed.push(i);
    expect(listed.sort((x, y) => x.digest.localeCompare(y.digest))).toEqual(
      put.sort((x, y) => x.digest.localeCompare(y.digest)),
    );
  });

  it("is idempotent: putting stored content again leaves one object", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const client = server().client();
    const store = s3ArtifactStore({ client, bucket: name, prefix, partSize: 5 * MiB });
    const first = await store.put(pattern(6 * MiB, MiB));
    expect(await store.put(await collect(pattern(6 * MiB, MiB)))).toEqual(first);
    expect(await store.put(pattern(6 * MiB, 999_999))).toEqual(first);
    expect(await bucketKeys(client, name, `${prefix}/`)).toEqual([`${prefix}/sha256/${first.digest}`]);
  });

  it("says what is wrong with the endpoint: a missing bucket is PRECONDITION, an absent blob NOT_FOUND", async () => {
    const client = server().client();
    const missing = s3ArtifactStore({ client, bucket: "no-such-bucket-here" });
    const error = await caught(missing.put("x"));
    expect(error.code).toBe("PRECONDITION");
    expect(error.message).toContain("no-such-bucket-here");
    expect(error.cause).toBeDefined();
    const store = s3ArtifactStore({ client, bucket: await fileBucket(), prefix: freshPrefix() });
    const absent = hex("absent");
    expect((await caught(store.get(absent))).code).toBe("NOT_FOUND");
    expect(await store.stat(absent)).toBeUndefined();
  });

  it("backs a workspace: a model registered there is stored in the bucket and loads back", async () => {
    const name = await fileBucket();
    const prefix = freshPrefix();
    const client = server().client();
    await using ws = await createWorkspace({ artifacts: s3ArtifactStore({ client, bucket: name, prefix, sdk }) });
    ws.registry.registerFunction("scale", (s: { by: number }) => (rows: number[][]) => rows.map((r) => r[0] * s.by));
    const v = await ws.registry.register("scaler", { model: functionModel("scale", { by: 3 }) });
    const keys = await bucketKeys(client, name, `${prefix}/`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix}/sha256/[0-9a-f]{64}$`));
    const model = await ws.registry.load(`scaler@${v.version}`);
    expect(await model.predict([[1], [2]])).toEqual([3, 6]);
  });
});
