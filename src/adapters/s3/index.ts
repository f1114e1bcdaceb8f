/**
 * `mlcycle/s3`: content-addressed artifacts on any S3-compatible object store, through your own
 * `S3Client` from `@aws-sdk/client-s3` (an optional peer dependency, imported on first use or passed
 * as `sdk`).
 *
 * @example
 * ```ts
 * import { S3Client } from "@aws-sdk/client-s3";
 * import { s3ArtifactStore } from "mlcycle/s3";
 * const artifacts = s3ArtifactStore({ client: new S3Client({}), bucket: "ml-artifacts", prefix: "prod" });
 * ```
 *
 * @packageDocumentation
 */
export { type S3ArtifactStore, type S3ArtifactStoreOptions, s3ArtifactStore } from "./s3-artifact-store.js";
export type { S3ClientLike, S3CompletedPart, S3ObjectRef, S3SdkLike } from "./s3-sdk.js";
