import { MlcycleError } from "../../core/errors.js";

/**
 * The subset of `@aws-sdk/client-s3`'s `S3Client` the store calls: `send(command)`. Typed
 * structurally so that `mlcycle` never needs the SDK's types; any `S3Client` (v3) fits.
 */
export interface S3ClientLike {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Bucket and key of one object, as every object command takes them. */
export interface S3ObjectRef {
  Bucket: string;
  Key: string;
}

/** One uploaded part, as `CompleteMultipartUpload` lists it. */
export interface S3CompletedPart {
  ETag: string;
  PartNumber: number;
}

/**
 * The command classes of `@aws-sdk/client-s3` the store builds, typed structurally: pass the module
 * itself (`import * as sdk from "@aws-sdk/client-s3"`).
 */
export interface S3SdkLike {
  PutObjectCommand: new (input: S3ObjectRef & { Body: Uint8Array; ContentLength?: number }) => object;
  GetObjectCommand: new (input: S3ObjectRef) => object;
  HeadObjectCommand: new (input: S3ObjectRef) => object;
  DeleteObjectCommand: new (input: S3ObjectRef) => object;
  CopyObjectCommand: new (input: S3ObjectRef & { CopySource: string }) => object;
  ListObjectsV2Command: new (input: {
    Bucket: string;
    Prefix?: string;
    ContinuationToken?: string;
    MaxKeys?: number;
  }) => object;
  CreateMultipartUploadCommand: new (input: S3ObjectRef) => object;
  UploadPartCommand: new (
    input: S3ObjectRef & { UploadId: string; PartNumber: number; Body: Uint8Array; ContentLength?: number },
  ) => object;
  UploadPartCopyCommand: new (
    input: S3ObjectRef & { UploadId: string; PartNumber: number; CopySource: string; CopySourceRange: string },
  ) => object;
  CompleteMultipartUploadCommand: new (
    input: S3ObjectRef & { UploadId: string; MultipartUpload: { Parts: S3CompletedPart[] } },
  ) => object;
  AbortMultipartUploadCommand: new (input: S3ObjectRef & { UploadId: string }) => object;
}

/** What the store reads from the answers of the commands it sends. */
export interface S3Answers {
  GetObject: { Body?: AsyncIterable<Uint8Array>; ContentLength?: number };
  HeadObject: { ContentLength?: number };
  ListObjectsV2: {
    Contents?: Array<{ Key?: string; Size?: number }>;
    IsTruncated?: boolean;
    NextContinuationToken?: string;
  };
  CreateMultipartUpload: { UploadId?: string };
  UploadPart: { ETag?: string };
  UploadPartCopy: { CopyPartResult?: { ETag?: string } };
}

let cachedSdk: Promise<S3SdkLike> | undefined;

/**
 * `@aws-sdk/client-s3`, imported on first use (an optional peer dependency: only users of
 * `mlcycle/s3` install it). `UNAVAILABLE` saying how to fix it when it is not installed.
 */
export function importS3Sdk(): Promise<S3SdkLike> {
  cachedSdk ??= (async () => {
    try {
      // A specifier in a variable: bundlers and the type checker leave the optional peer alone.
      const specifier = "@aws-sdk/client-s3";
      const mod = (await import(specifier)) as S3SdkLike & { default?: S3SdkLike };
      return mod.PutObjectCommand ? mod : (mod.default as S3SdkLike);
    } catch (error) {
      cachedSdk = undefined;
      throw new MlcycleError(
        "UNAVAILABLE",
        "the S3 artifact store needs @aws-sdk/client-s3: `npm install @aws-sdk/client-s3`, or pass { sdk } to s3ArtifactStore()",
        { cause: error },
      );
    }
  })();
  return cachedSdk;
}
