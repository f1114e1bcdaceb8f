/**
 * The stores every process of the distributed example shares, opened the same way by the
 * coordinator and each worker: metadata, offline features and the training-set joins on PostgreSQL,
 * online features and the step queue on Redis, artifacts (models, step outputs) on S3.
 *
 * Each setting comes from the environment, with defaults for this repository's test services and the
 * S3 server `run.ts` starts.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import pg from "pg";
import { postgresStore } from "../../src/adapters/postgres/index.js";
import { redisOnlineStore } from "../../src/adapters/redis/index.js";
import { s3ArtifactStore } from "../../src/adapters/s3/index.js";
import { createWorkspace, type Executor, type Workspace } from "../../src/index.js";

export const settings = {
  databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  s3Endpoint: process.env.S3_ENDPOINT ?? "http://127.0.0.1:4568",
  bucket: process.env.S3_BUCKET ?? "mlcycle-distributed",
  /** The PostgreSQL schema of every table, the Redis key prefix and the S3 key prefix. */
  namespace: process.env.MLCYCLE_NAMESPACE ?? "mlcycle_distributed",
};

/** The BullMQ queue the coordinator and the workers share. */
export const QUEUE = `${settings.namespace}-steps`;

/** The clients of one process: the coordinator's or a worker's. */
export interface Clients {
  pool: pg.Pool;
  redis: Redis;
  s3: S3Client;
  close(): Promise<void>;
}

export function openClients(): Clients {
  const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: 4 });
  const redis = new Redis(settings.redisUrl);
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: settings.s3Endpoint,
    forcePathStyle: true,
    // s3rver's fixed credentials; on AWS leave `credentials` out and use the usual chain.
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  return {
    pool,
    redis,
    s3,
    async close() {
      await pool.end();
      redis.disconnect();
      s3.destroy();
    },
  };
}

/** A workspace on the shared stores, its steps sent through `executor`. */
export function openSharedWorkspace(clients: Clients, executor: Executor): Promise<Workspace> {
  return createWorkspace({
    ...postgresStore({ pool: clients.pool, schema: settings.namespace }),
    online: redisOnlineStore({ client: clients.redis, prefix: `${settings.namespace}:online` }),
    artifacts: s3ArtifactStore({ client: clients.s3, bucket: settings.bucket, prefix: settings.namespace }),
    executor,
  });
}
