import { invalid, MlcycleError } from "../../core/errors.js";
import type { S3Answers, S3CompletedPart } from "./s3-sdk.js";
import { type S3Target, s3Send } from "./s3-target.js";

/** S3's limit on the parts of one multipart upload. */
export const MAX_PARTS = 10_000;

/**
 * Sends one part of a multipart upload (`UploadPart`, `UploadPartCopy`) and returns its ETag.
 * `signal` aborts the request when another part has failed.
 */
export type PartSender = (uploadId: string, partNumber: number, signal: AbortSignal) => Promise<string>;

/**
 * Runs one multipart upload to `key`: creates it, sends the parts `senders` yields with at most
 * `queueSize` in flight (the next sender is not pulled before a slot is free, so a body is read no
 * faster than it is sent), then completes it — the object appears whole, or not at all.
 *
 * On any failure — a part, the body, the completion — the requests in flight are aborted, then the
 * upload (`AbortMultipartUpload`, best effort: a server that refuses leaves the parts to a lifecycle
 * rule), and the first error is thrown. Returns the number of parts.
 */
export async function runMultipartUpload(
  target: S3Target,
  key: string,
  senders: AsyncIterable<PartSender> | Iterable<PartSender>,
  queueSize: number,
): Promise<number> {
  const { sdk, bucket } = target;
  const created = await s3Send<S3Answers["CreateMultipartUpload"]>(
    target,
    new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    `starting the multipart upload of '${key}'`,
  );
  const uploadId = created.UploadId;
  if (!uploadId)
    throw new MlcycleError("INTERNAL", `the endpoint started a multipart upload of '${key}' without an upload id`);

  const controller = new AbortController();
  const etags: string[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let parts = 0;
  try {
    for await (const send of senders) {
      if (parts === MAX_PARTS)
        throw invalid(
          ["body"],
          `is larger than ${MAX_PARTS.toLocaleString("en")} parts, the most one S3 upload holds: raise partSize`,
          "too_big",
        );
      const partNumber = ++parts;
      const sending: Promise<void> = send(uploadId, partNumber, controller.signal)
        .then(
          (etag) => {
            etags[partNumber - 1] = etag;
          },
          (error: unknown) => {
            failure ??= { error };
            controller.abort();
          },
        )
        .finally(() => inflight.delete(sending));
      inflight.add(sending);
      while (inflight.size >= queueSize && !failure) await Promise.race(inflight);
      if (failure) break;
    }
    await Promise.all(inflight);
    if (failure) throw failure.error;
    if (parts === 0) throw new MlcycleError("INTERNAL", `a multipart upload of '${key}' was given no part`);
    const completed: S3CompletedPart[] = etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 }));
    await s3Send(
      target,
      new sdk.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
      `completing the multipart upload of '${key}'`,
    );
    return parts;
  } catch (error) {
    failure ??= { error };
    controller.abort();
    await Promise.allSettled(inflight);
    await s3Send(
      target,
      new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
      `aborting the multipart upload of '${key}'`,
    ).catch(() => undefined);
    throw failure.error;
  }
}

/** A {@link PartSender} that uploads `body` as the part (`UploadPart`). */
export function uploadPartSender(target: S3Target, key: string, body: Uint8Array): PartSender {
  return async (uploadId, partNumber, signal) => {
    const answer = await s3Send<S3Answers["UploadPart"]>(
      target,
      new target.sdk.UploadPartCommand({
        Bucket: target.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.byteLength,
      }),
      `uploading part ${partNumber} of '${key}'`,
      signal,
    );
    if (!answer.ETag)
      throw new MlcycleError("INTERNAL", `the endpoint accepted part ${partNumber} of '${key}' without an ETag`);
    return answer.ETag;
  };
}
