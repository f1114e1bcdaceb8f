import type { S3ClientLike, S3SdkLike } from "./s3-sdk.js";
import { s3Failure } from "./s3-errors.js";

/** What every request of one store goes through: the user's client, the SDK's commands, the bucket. */
export interface S3Target {
  readonly client: S3ClientLike;
  readonly sdk: S3SdkLike;
  readonly bucket: string;
}

/**
 * Sends a command and returns its answer as `T`; a failure becomes an `MlcycleError` (see
 * {@link s3Failure}) saying `what` was being done, the SDK's error kept as `cause`.
 */
export async function s3Send<T>(target: S3Target, command: object, what: string, signal?: AbortSignal): Promise<T> {
  try {
    return (await target.client.send(command, signal ? { abortSignal: signal } : undefined)) as T;
  } catch (error) {
    throw s3Failure(error, what, target.bucket);
  }
}
