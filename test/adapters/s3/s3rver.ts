// A real S3-protocol server (the npm package s3rver) for the tests: started in a child process on a
// free port with a temporary directory, stopped after the file's tests. Never a mock of the client.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll } from "vitest";

// The SDK warns once per process that its releases from 2027 need Node 22; the tests run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** A running s3rver: its endpoint, and clients on it. */
export interface S3rverServer {
  readonly endpoint: string;
  /** A new client on the server (path-style addressing, s3rver's fixed credentials). */
  client(): S3Client;
  /** Creates a bucket named after `label`, unique to this run; returns its name. */
  createBucket(label: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts s3rver in a child process on a free port, in a fresh temporary directory. */
export async function startS3rver(): Promise<S3rverServer> {
  const directory = mkdtempSync(join(tmpdir(), "mlcycle-s3rver-"));
  const child: ChildProcess = spawn(
    process.execPath,
    ["--openssl-legacy-provider", join(import.meta.dirname, "s3rver-process.mjs"), directory],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, "exit");
  const first = await Promise.race([
    once(lines, "line").then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`s3rver exited with code ${code} before listening`);
    }),
  ]);
  const { port } = JSON.parse(first) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const client = () => {
    const c = new S3Client({
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    clients.push(c);
    return c;
  };
  let buckets = 0;
  return {
    endpoint,
    client,
    async createBucket(label) {
      const name = `${label}-${process.pid}-${++buckets}`.toLowerCase().replaceAll(/[^a-z0-9-]/g, "-");
      await client().send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      for (const c of clients) c.destroy();
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Starts s3rver before the file's tests and stops it after; `server()` is the running server (from
 * inside a test or a hook).
 */
export function useS3rver(): { server: () => S3rverServer } {
  let running: S3rverServer | undefined;
  beforeAll(async () => {
    running = await startS3rver();
  });
  afterAll(async () => {
    await running?.stop();
  });
  return {
    server: () => {
      if (!running) throw new Error("s3rver is not running: call useS3rver() at the top of the test file");
      return running;
    },
  };
}
