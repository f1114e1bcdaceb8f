import { isMlcycleError, MlcycleError } from "../../core/errors.js";

/** The fields of an SDK v3 service error the store reads. */
interface S3ServiceErrorLike {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function fieldsOf(error: unknown): S3ServiceErrorLike {
  return typeof error === "object" && error !== null ? (error as S3ServiceErrorLike) : {};
}

/** The S3 error code of a failure (`NoSuchKey`, `AccessDenied`…; `NotFound` for a HEAD, whose answer has no body). */
export function s3ErrorCode(error: unknown): string | undefined {
  const e = fieldsOf(error);
  return e.Code ?? e.name;
}

/** True when S3 answered that the object does not exist (`NoSuchKey` on GET, `NotFound` on HEAD). */
export function isMissingObject(error: unknown): boolean {
  const code = s3ErrorCode(error);
  return code === "NoSuchKey" || code === "NotFound";
}

/**
 * An S3 failure as an {@link MlcycleError}, the driver's error kept as `cause`: a missing object is
 * `NOT_FOUND`; a missing bucket or a refused permission `PRECONDITION` (the endpoint must be set up
 * differently); anything else — network errors, throttling, 5xx — `UNAVAILABLE`. An
 * `MlcycleError` passes through unchanged.
 */
export function s3Failure(error: unknown, what: string, bucket: string): MlcycleError {
  if (isMlcycleError(error)) return error;
  const e = fieldsOf(error);
  const code = s3ErrorCode(error);
  const status = e.$metadata?.httpStatusCode;
  const said = e.message ? `: ${e.message}` : "";
  if (isMissingObject(error))
    return new MlcycleError("NOT_FOUND", `${what} failed: no such object`, {
      cause: error,
      details: { bucket, s3Code: code },
    });
  if (code === "NoSuchBucket")
    return new MlcycleError("PRECONDITION", `${what} failed: bucket '${bucket}' does not exist; create it first`, {
      cause: error,
      details: { bucket, s3Code: code },
    });
  if (code === "AccessDenied" || code === "Forbidden" || status === 403)
    return new MlcycleError(
      "PRECONDITION",
      `${what} was refused by the endpoint (${code ?? status})${said}: the credentials need s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket and s3:AbortMultipartUpload on the bucket`,
      { cause: error, details: { bucket, s3Code: code, status } },
    );
  return new MlcycleError("UNAVAILABLE", `${what} failed (${code ?? status ?? "no answer"})${said}`, {
    cause: error,
    details: { bucket, s3Code: code, status },
  });
}
