/**
 * The distributed example in one command: starts a local S3-protocol server (s3rver) unless
 * S3_ENDPOINT names one, two worker processes, then the coordinator; stops the workers (SIGTERM,
 * so each finishes its step) and the server when the coordinator is done.
 *
 *   npm run example:distributed
 *
 * PostgreSQL and Redis must answer at DATABASE_URL and REDIS_URL (defaults: this machine's
 * 127.0.0.1:5432 database `test`, 127.0.0.1:6379).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { settings } from "./stores.js";

type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
const here = import.meta.dirname;
const tsx = createRequire(import.meta.url).resolve("tsx");

let s3rver: S3rverServer | undefined;
let s3dir: string | undefined;
// The AWS SDK warns on every start that its releases from 2027 will need Node.js 22.
const env: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...process.env };
if (!process.env.S3_ENDPOINT) {
  const { default: S3rver } = (await import(String("s3rver"))) as { default: new (options: object) => S3rverServer };
  s3dir = mkdtempSync(join(tmpdir(), "mlcycle-distributed-s3-"));
  s3rver = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: settings.bucket }],
  });
  env.S3_ENDPOINT = `http://127.0.0.1:${(await s3rver.run()).port}`;
  console.log(`s3rver on ${env.S3_ENDPOINT}, bucket ${settings.bucket}`);
}

/** Starts a script of this folder in a process of its own, its lines prefixed by `label`. */
function start(script: string, label: string): ChildProcess {
  const child = spawn(process.execPath, ["--import", tsx, join(here, script)], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) console.log(`[${label}] ${line}`);
    });
  }
  return child;
}

/** Resolves when a child prints a line containing `text`; rejects if it exits first. */
function waitFor(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer | string) => {
      if (String(chunk).includes(text)) {
        child.stdout!.off("data", onData);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`a process exited with ${code} before printing '${text}'`)));
  });
}

const workers = [start("worker.ts", "worker 1"), start("worker.ts", "worker 2")];
let failed = false;
try {
  await Promise.all(workers.map((w) => waitFor(w, "ready")));
  const coordinator = start("coordinator.ts", "coordinator");
  const [code] = (await once(coordinator, "exit")) as [number | null];
  failed = code !== 0;
} finally {
  for (const w of workers) if (w.exitCode === null) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => (w.exitCode === null ? once(w, "exit") : undefined)));
  await s3rver?.close();
  if (s3dir) rmSync(s3dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
