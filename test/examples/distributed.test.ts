// `npm run example:distributed` (examples/distributed/run.ts) as its README runs it: s3rver, two worker
// processes and the coordinator on PostgreSQL and Redis, in a namespace of its own (schema, key prefix,
// queue) that the test removes afterwards.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { POSTGRES_URL, REDIS_URL, service, uniqueName } from "../services.js";

const root = join(import.meta.dirname, "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const up = (await service("PostgreSQL", POSTGRES_URL)) && (await service("Redis", REDIS_URL));

describe.runIf(up)("examples/distributed", () => {
  const namespace = uniqueName("dist_example").toLowerCase();

  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await pool.query(`drop schema if exists "${namespace}" cascade`);
    await pool.end();
    const redis = new Redis(REDIS_URL);
    for (const pattern of [`${namespace}:*`, `bull:${namespace}-steps:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it("trains on two workers and scores from Redis", async () => {
    const child = spawn(process.execPath, ["--import", tsx, join(root, "examples", "distributed", "run.ts")], {
      env: { ...process.env, DATABASE_URL: POSTGRES_URL, REDIS_URL, MLCYCLE_NAMESPACE: namespace },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, out).toBe(0);
    expect(out).toContain("[coordinator] features: 12000 rows of history in PostgreSQL");
    expect(out).toMatch(/\[coordinator\] features: \d+ online values written to Redis/);
    expect(out).toContain("[coordinator] pipeline churn-distributed: succeeded");
    expect(out).toMatch(/register ran on worker \d+: churn@1 \(accuracy (0\.9\d\d|1\.000)\)/);
    // Which worker takes which task is the queue's choice; the folds usually spread over both.
    expect(out).toMatch(/steps ran on [12] worker process\(es\)/);
    expect(out).toMatch(/\[coordinator\] customer 2: sessions [\d.]+, spend \d+ → churn [01]/);
    expect(out).toContain("[worker 1] worker");
    expect(out).toMatch(/\[worker 2\] worker \d+ stopped/);
    // The coordinator is no worker: every step ran elsewhere.
    const coordinator = /the coordinator is (\d+)/.exec(out)?.[1];
    expect(out).not.toContain(`ran on worker ${coordinator}`);
  }, 240_000);
});
