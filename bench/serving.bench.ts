/**
 * Serving costs on the embedded default (SQLite file + artifact folder), with the iris ONNX model.
 * Each figure is printed beside a baseline measured in the same run:
 *
 * - in-process `predict` through a deployment (batching off: validation, prediction id, log) against
 *   calling the model's predictor directly (target ≥ 80% of direct);
 * - 64 concurrent single-row callers with micro-batching on, against the same callers with it off;
 * - HTTP requests per second and p50/p99 latency of `serveHttp` + `createHttpHandler` against a bare
 *   `node:http` server that parses the same JSON and calls the same predictor, both driven by
 *   autocannon running in a process of its own (target ≥ 70% of bare).
 *
 *   npm run bench -- serving
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onnxFlavor } from "mlcycle/onnx";
import { createHttpHandler, serveHttp } from "mlcycle/http";
import { openWorkspace } from "mlcycle";
import { quick, record, size } from "./report.js";

const fixtures = process.env.MLCYCLE_FIXTURES ?? join(import.meta.dirname, "..", "test", "fixtures", "reference");
const expected = JSON.parse(readFileSync(join(fixtures, "models", "iris-logreg.expected.json"), "utf8")) as {
  test_rows: number[][];
};
const rows = expected.test_rows;
const cannonBin = createRequire(import.meta.url).resolve("autocannon/autocannon.js");

const dir = mkdtempSync(join(tmpdir(), "mlcycle-serving-bench-"));
const ws = await openWorkspace(dir);
ws.registry.registerFlavor(onnxFlavor());
await ws.registry.register("iris", { model: join(fixtures, "models", "iris-logreg.onnx"), flavor: "onnx" });
await ws.registry.setAlias("iris", "champion", 1, { actor: "bench" });

const direct = await ws.registry.load("iris@champion", { validate: false });
const deployment = await ws.serving.deploy("iris@champion", { pollIntervalMs: false });

async function time(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// 1. In-process predict, one row per call, batching off.
const N = size(20_000, 1_000);
const one = (i: number) => [rows[i % rows.length]];
for (let i = 0; i < size(2_000, 200); i++) {
  await deployment.predict(one(i));
  await direct.predictor.predict(one(i));
}
const samples: Array<{ deployed: number; base: number }> = [];
for (let round = 0; round < 3; round++) {
  const base = await time(async () => {
    for (let i = 0; i < N; i++) await direct.predictor.predict(one(i));
  });
  const deployed = await time(async () => {
    for (let i = 0; i < N; i++) await deployment.predict(one(i));
  });
  samples.push({ deployed, base });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dMs = median(samples.map((s) => s.deployed));
const bMs = median(samples.map((s) => s.base));
record({
  name: "deployment.predict (1 row, batching off)",
  value: (N / dMs) * 1000,
  unit: "/s",
  baseline: { name: "the model's predictor called directly", value: (N / bMs) * 1000 },
  target: { ratioMin: 0.8 },
});
await deployment.flush();

// 2. 64 concurrent callers, single rows, batching on vs off.
const CALLERS = 64;
const PER_CALLER = size(300, 20);
async function concurrent(predict: (inputs: number[][]) => Promise<unknown>): Promise<number> {
  return time(async () => {
    await Promise.all(
      Array.from({ length: CALLERS }, async (_, c) => {
        for (let i = 0; i < PER_CALLER; i++) await predict(one(c * PER_CALLER + i));
      }),
    );
  });
}
const batched = await ws.serving.deploy("iris@champion", {
  name: "iris-batched",
  pollIntervalMs: false,
  batching: { maxBatchSize: 64, maxWaitMs: 2 },
});
await concurrent((x) => batched.predict(x));
await concurrent((x) => deployment.predict(x));
const onMs = await concurrent((x) => batched.predict(x));
const offMs = await concurrent((x) => deployment.predict(x));
const calls = CALLERS * PER_CALLER;
record({
  name: `${CALLERS} concurrent single-row callers, micro-batching on`,
  value: (calls / onMs) * 1000,
  unit: "/s",
  baseline: { name: "the same callers, batching off", value: (calls / offMs) * 1000 },
});
await batched.close();

// 3. HTTP: serveHttp + handler against bare node:http calling the same predictor.
const body = JSON.stringify({ dataframe_split: { columns: ["a", "b", "c", "d"], data: [rows[0]] } });
const token = "bench-token";
const server = await serveHttp(createHttpHandler(deployment, { auth: { token } }), { port: 0, host: "127.0.0.1" });
const bare = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { dataframe_split: { data: number[][] } };
      const out = await direct.predictor.predict(parsed.dataframe_split.data);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ predictions: out }));
    } catch (error) {
      res.writeHead(400);
      res.end(String(error));
    }
  });
});
await new Promise<void>((r) => bare.listen(0, "127.0.0.1", r));
const barePort = (bare.address() as AddressInfo).port;

/**
 * autocannon in its own process (so the load generator does not share the server's event loop),
 * JSON results read from its output.
 */
function cannon(url: string, headers: Record<string, string>): Promise<{ rps: number; p50: number; p99: number }> {
  const args = [
    cannonBin,
    "--json",
    "-c",
    "16",
    "-d",
    String(size(5, 1)),
    "-m",
    "POST",
    "-b",
    body,
    "-H",
    "content-type=application/json",
  ];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const r = JSON.parse(out) as {
        non2xx: number;
        errors: number;
        requests: { average: number };
        latency: { p50: number; p99: number };
      };
      if (r.non2xx || r.errors) return reject(new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`));
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 });
    });
  });
}
if (!quick) {
  // Warm-up rounds.
  await cannon(`http://127.0.0.1:${barePort}/invocations`, {});
  await cannon(`${server.url}/invocations`, { authorization: `Bearer ${token}` });
}
const bareR = await cannon(`http://127.0.0.1:${barePort}/invocations`, {});
const ours = await cannon(`${server.url}/invocations`, { authorization: `Bearer ${token}` });
record({
  name: "HTTP /invocations, 16 connections: requests",
  value: ours.rps,
  unit: "/s",
  baseline: { name: "bare node:http calling the same predictor", value: bareR.rps },
  target: { ratioMin: 0.7 },
});
record({
  name: "HTTP /invocations, 16 connections: latency p50",
  value: ours.p50,
  unit: "ms",
  baseline: { name: "bare node:http", value: bareR.p50 },
});
record({
  name: "HTTP /invocations, 16 connections: latency p99",
  value: ours.p99,
  unit: "ms",
  baseline: { name: "bare node:http", value: bareR.p99 },
});

await server.close();
await new Promise<void>((r) => bare.close(() => r()));
await deployment.close();
await direct.close();
await ws.close();
rmSync(dir, { recursive: true, force: true });
