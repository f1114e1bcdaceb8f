import { MlcycleError } from "../../core/errors.js";
import type { S3Answers } from "./s3-sdk.js";
import { MAX_PARTS, type PartSender, runMultipartUpload } from "./s3-multipart.js";
import { type S3Target, s3Send } from "./s3-target.js";

/** The largest object one `CopyObject` request copies; larger ones are copied in parts. */
export const MAX_SINGLE_COPY = 5 * 1024 ** 3;
/** The smallest part of a multipart copy (parts of 512 MiB copy 4.9 TiB in 10,000 parts). */
const MIN_COPY_PART = 512 * 1024 ** 2;

/**
 * The byte ranges (inclusive, as HTTP `Range` counts) of a multipart copy of `size` bytes: parts of
 * 512 MiB, or larger when 10,000 of those would not cover `size`, the last one shorter.
 */
export function copyRanges(size: number): Array<{ first: number; last: number }> {
  const part = Math.max(MIN_COPY_PART, Math.ceil(size / MAX_PARTS));
  const ranges: Array<{ first: number; last: number }> = [];
  for (let first = 0; first < size; first += part) ranges.push({ first, last: Math.min(first + part, size) - 1 });
  return ranges;
}

/**
 * Copies the object at `from` (of `size` bytes) to `to` inside the bucket, on the server: one
 * `CopyObject` up to 5 GiB, a multipart copy (`UploadPartCopy`) beyond. The object at `to` is
 * replaced whole.
 */
export async function copyObject(
  target: S3Target,
  from: string,
  to: string,
  size: number,
  queueSize: number,
): Promise<void> {
  const { sdk, bucket } = target;
  // Keys are made of URL-safe characters only (see s3-key-layout.ts): the source needs no encoding.
  const source = `${bucket}/${from}`;
  if (size <= MAX_SINGLE_COPY) {
    await s3Send(
      target,
      new sdk.CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source }),
      `copying '${from}' to '${to}'`,
    );
    return;
  }
  const senders = copyRanges(size).map(
    ({ first, last }): PartSender =>
      async (uploadId, partNumber, signal) => {
        const answer = await s3Send<S3Answers["UploadPartCopy"]>(
          target,
          new sdk.UploadPartCopyCommand({
            Bucket: bucket,
            Key: to,
            UploadId: uploadId,
            PartNumber: partNumber,
            CopySource: source,
            CopySourceRange: `bytes=${first}-${last}`,
          }),
          `copying bytes ${first}-${last} of '${from}' to '${to}'`,
          signal,
        );
        const etag = answer.CopyPartResult?.ETag;
        if (!etag)
          throw new MlcycleError("INTERNAL", `the endpoint copied part ${partNumber} of '${to}' without an ETag`);
        return etag;
      },
  );
  await runMultipartUpload(target, to, senders, queueSize);
}
