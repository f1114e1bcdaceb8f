// The handler is fetch-standard: it mounts in node:http, Express, Fastify and Hono, and each really
// serves a prediction over a socket (the same examples as docs/http.md).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler, serveHttp, toNodeHandler } from "../../src/http/index.js";
import type { Workspace, Deployment } from "../../src/index.js";
import { deploy } from "./deploy.js";
import { closeTo, httpWorkspaces, iris, registerModels } from "./models.js";

const exp = iris();
const TOKEN = "mount-token";

async function predictOver(url: string) {
  const res = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ dataframe_split: { columns: exp.feature_names, data: exp.test_rows } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("x-prediction-id")).toMatch(/^[0-9A-Z]{26}$/);
  const { predictions } = (await res.json()) as { predictions: { label: number[]; probabilities: number[][] } };
  expect(predictions.label).toEqual(exp.expected_label);
  expect(closeTo(predictions.probabilities, exp.expected_proba)).toBe(true);
  // The open probe and an authenticated route under the same mount.
  expect((await fetch(`${url}/ping`)).status).toBe(200);
  expect((await fetch(`${url}/metadata`)).status).toBe(401);
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
const stop = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe.each(httpWorkspaces())("mounting the handler on %s", (_name, open) => {
  let ws: Workspace;
  let d: Deployment;
  beforeAll(async () => {
    ws = await open();
    await registerModels(ws);
    d = await deploy(ws, "iris@1");
  });
  afterAll(async () => {
    await d.close();
    await ws.close();
  });

  it("node:http: http.createServer(toNodeHandler(handler))", async () => {
    const server = createServer(toNodeHandler(createHttpHandler(d, { auth: { token: TOKEN } })));
    const url = await listen(server);
    await predictOver(url);
    await stop(server);
  });

  it("Express: app.use('/iris', toNodeHandler(handler)), beside Express routes and before body parsers", async () => {
    const app = express();
    app.use("/iris", toNodeHandler(createHttpHandler(d, { auth: { token: TOKEN } })));
    app.use(express.json());
    app.post("/echo", (req, res) => void res.json(req.body));
    const server = createServer(app);
    const url = await listen(server);
    await predictOver(`${url}/iris`);
    const echo = await fetch(`${url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(await echo.json()).toEqual({ a: 1 });
    await stop(server);
  });

  it("Fastify: a scope that leaves the body unread and hands the raw request over", async () => {
    const app = Fastify();
    const listener = toNodeHandler(createHttpHandler(d, { auth: { token: TOKEN }, basePath: "/iris" }));
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
      scope.all("/iris/*", async (request, reply) => {
        reply.hijack();
        await listener(request.raw, reply.raw);
      });
    });
    app.get("/hello", async () => ({ hello: "fastify" }));
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    await predictOver(`${url}/iris`);
    expect(await (await fetch(`${url}/hello`)).json()).toEqual({ hello: "fastify" });
    await app.close();
  });

  it("Hono: app.mount('/iris', handler), served by serveHttp", async () => {
    const app = new Hono();
    app.get("/", (c) => c.text("my service"));
    app.mount("/iris", createHttpHandler(d, { auth: { token: TOKEN } }));
    await using server = await serveHttp(app.fetch, { port: 0 });
    await predictOver(`${server.url}/iris`);
    expect(await (await fetch(server.url)).text()).toBe("my service");
  });
});
