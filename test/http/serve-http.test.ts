// serveHttp on node:http: a free port when 0 is asked, the body limit, graceful shutdown (requests in
// flight finish, new connections are refused, then deployments are closed), SIGTERM.
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler, serveHttp } from "../../src/http/index.js";
import { functionModel, isMlcycleError, type Workspace } from "../../src/index.js";
import { deploy } from "./deploy.js";
import { httpWorkspaces, registerModels } from "./models.js";

const invoke = (url: string, rows: unknown = [[1]]) =>
  fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ inputs: rows }),
  });

describe.each(httpWorkspaces())("serveHttp on %s", (_name, open) => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await open();
    await registerModels(ws);
    // A model that takes `ms` milliseconds to answer.
    ws.registry.registerFunction("slow", (s: { ms: number }) => async (rows: number[][]) => {
      await sleep(s.ms);
      return rows.map(() => 1);
    });
    await ws.registry.register("slow", { model: functionModel("slow", { ms: 400 }) });
    await ws.registry.register("slow", { model: functionModel("slow", { ms: 1_500 }) });
  });
  afterAll(() => ws.close());

  it("port 0 listens on a free port and reports it; the URL answers", async () => {
    const d = await deploy(ws, "iris@1");
    await using server = await serveHttp(createHttpHandler(d, { auth: false }), { port: 0, closeAfterDrain: [d] });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const ping = await fetch(`${server.url}/ping`);
    expect(ping.status).toBe(200);
    const res = await invoke(server.url, [[5.1, 3.5, 1.4, 0.2]]);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-prediction-id")).toBeTruthy();
    expect(((await res.json()) as { predictions: { label: number[] } }).predictions.label).toEqual([0]);
  });

  it("a port in use is an UNAVAILABLE error naming it", async () => {
    await using d = await deploy(ws, "iris@1");
    const handler = createHttpHandler(d, { auth: false });
    await using first = await serveHttp(handler, { port: 0 });
    const error = await serveHttp(handler, { port: first.port }).catch((e) => e);
    expect(isMlcycleError(error, "UNAVAILABLE")).toBe(true);
    expect(error.message).toMatch(new RegExp(`cannot listen on 127.0.0.1:${first.port}: EADDRINUSE`));
  });

  it("a streamed body over the handler's limit is answered 413 while the client is still sending", async () => {
    await using d = await deploy(ws, "iris@1");
    await using server = await serveHttp(createHttpHandler(d, { auth: false, maxBodyBytes: 8 * 1024 }), { port: 0 });
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        resolve(res.statusCode as number);
        res.resume();
        req.destroy();
      });
      req.on("error", (e) => (written >= 1000 ? reject(e) : undefined));
      req.write('{"inputs": [');
      const tick = () => {
        if (req.destroyed || written >= 1000) return req.end();
        written++;
        req.write(`${"[1.5,2.5,3.5,4.5],".repeat(50)}`);
        setTimeout(tick, 2);
      };
      tick();
    });
    expect(status).toBe(413);
    // 1,000 chunks of 900 bytes were on offer; the answer came after about 10.
    expect(written).toBeLessThan(200);
  });

  it("maxBodyBytes on the server refuses a declared Content-Length before the handler sees it", async () => {
    let seen = 0;
    await using server = await serveHttp(
      async () => {
        seen++;
        return new Response("ok");
      },
      { port: 0, maxBodyBytes: 100 },
    );
    const res = await fetch(server.url, { method: "POST", body: "x".repeat(101) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await fetch(server.url, { method: "POST", body: "x".repeat(100) })).status).toBe(200);
    expect(seen).toBe(1);
  });

  it("close() lets a request in flight finish, refuses new connections, then closes the deployment", async () => {
    const d = await deploy(ws, "slow@1");
    const server = await serveHttp(createHttpHandler(d, { auth: false }), { port: 0, closeAfterDrain: [d] });
    const inFlight = invoke(server.url);
    while (server.inFlight === 0) await sleep(5);
    const t = performance.now();
    const closing = server.close();
    await sleep(20);
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ predictions: [1] });
    await closing;
    expect(performance.now() - t).toBeGreaterThan(250);
    expect(d.health().state).toBe("closed");
    // Twice is fine.
    await server.close();
  });

  it("a request slower than drainTimeoutMs is cut when the drain times out", async () => {
    await using d = await deploy(ws, "slow@2");
    const server = await serveHttp(createHttpHandler(d, { auth: false }), { port: 0, drainTimeoutMs: 100 });
    const inFlight = invoke(server.url).then(
      (r) => r.status,
      (e: Error) => e,
    );
    while (server.inFlight === 0) await sleep(5);
    const t = performance.now();
    await server.close();
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(await inFlight).toBeInstanceOf(Error);
  });
});

describe("serveHttp", () => {
  it("bad options are a VALIDATION error", async () => {
    await expect(serveHttp((async () => new Response()) as never, { port: 70000 })).rejects.toThrow(
      /serveHttp options/,
    );
    await expect(serveHttp("nope" as never)).rejects.toThrow(/handler: must be a function/);
  });

  it("signals: true — SIGTERM drains the request in flight, closes, and the process exits", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "serve-signal-child.ts")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    while (!/http:\/\/127\.0\.0\.1:\d+/.test(out)) {
      if (child.exitCode !== null) throw new Error(out);
      await sleep(20);
    }
    const url = (/http:\/\/127\.0\.0\.1:\d+/.exec(out) as RegExpExecArray)[0];
    const slow = fetch(`${url}/slow`).then((r) => r.text());
    await sleep(100);
    child.kill("SIGTERM");
    expect(await slow).toBe("done");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out).toMatch(/exit closed=true/);
  }, 30_000);
});
