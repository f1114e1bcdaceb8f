// Authentication is on unless turned off in so many words: a bearer token compared in constant time,
// or a custom async check. /ping and /health stay open for probes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler, type HttpErrorBody } from "../../src/http/index.js";
import { isMlcycleError, type Workspace, type Deployment } from "../../src/index.js";
import { deploy, logged } from "./deploy.js";
import { httpWorkspaces, iris, registerModels } from "./models.js";

const rows = iris().test_rows.slice(0, 2);
const TOKEN = "s3cr3t-token-value";
const invocation = (headers: Record<string, string> = {}) =>
  new Request("http://model.test/invocations", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ inputs: rows }),
  });
const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://model.test${path}`, { headers });

describe.each(httpWorkspaces())("authentication on %s", (_name, open) => {
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

  it("a handler without an auth option is a VALIDATION error saying how to set a token or opt out", () => {
    for (const options of [undefined, {}, { auth: undefined }, { auth: null }]) {
      let caught: unknown;
      try {
        createHttpHandler(d, options as never);
      } catch (e) {
        caught = e;
      }
      expect(isMlcycleError(caught, "VALIDATION")).toBe(true);
      expect((caught as Error).message).toMatch(/auth: \{ token \}/);
      expect((caught as Error).message).toMatch(/auth: false/);
    }
  });

  it.each<[string, unknown, RegExp]>([
    ["an empty token", { token: "" }, /auth.token: must be a non-empty string \(got an empty string\)/],
    ["a token that is not a string", { token: 42 }, /got number/],
    ["both token and verify", { token: "x", verify: async () => true }, /token or verify, not both/],
    ["verify that is not a function", { verify: true }, /must be a function/],
    ["auth: true", true, /must be an object or false/],
    ["an empty object", {}, /neither token nor verify/],
  ])("%s is a VALIDATION error", (_what, auth, message) => {
    expect(() => createHttpHandler(d, { auth } as never)).toThrow(message);
  });

  describe("with a bearer token", () => {
    let handler: ReturnType<typeof createHttpHandler>;
    beforeAll(() => {
      handler = createHttpHandler(d, { auth: { token: TOKEN } });
    });

    it("no token → 401 JSON with WWW-Authenticate: Bearer", async () => {
      const res = await handler(invocation());
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="mlcycle"');
      const body = (await res.json()) as HttpErrorBody;
      expect(body.error.code).toBe("UNAUTHENTICATED");
      expect(body.error.message).toMatch(/missing bearer token/);
    });

    it.each([
      ["a wrong token", `Bearer ${TOKEN}x`],
      ["a prefix of the token", `Bearer ${TOKEN.slice(0, 5)}`],
      ["another scheme", `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}`],
      ["an empty bearer", "Bearer "],
    ])("%s → 401 invalid_token", async (_what, authorization) => {
      const res = await handler(invocation({ authorization }));
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="mlcycle"/);
      expect(((await res.json()) as HttpErrorBody).error.code).toBe("UNAUTHENTICATED");
    });

    it("the right token (any case of the scheme) → 200", async () => {
      expect((await handler(invocation({ authorization: `Bearer ${TOKEN}` }))).status).toBe(200);
      expect((await handler(invocation({ authorization: `bearer ${TOKEN}` }))).status).toBe(200);
    });

    it("/ping and /health are open; /metadata, /version, /feedback and unknown routes are not", async () => {
      expect((await handler(get("/ping"))).status).toBe(200);
      expect((await handler(get("/health"))).status).toBe(200);
      expect((await handler(new Request("http://model.test/ping", { method: "HEAD" }))).status).toBe(200);
      for (const path of ["/metadata", "/version", "/nope"]) {
        expect((await handler(get(path))).status).toBe(401);
        expect((await handler(get(path, { authorization: `Bearer ${TOKEN}` }))).status).toBe(
          path === "/nope" ? 404 : 200,
        );
      }
      const fb = await handler(
        new Request("http://model.test/feedback", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ predictionId: "x", outcome: 1 }),
        }),
      );
      expect(fb.status).toBe(401);
    });
  });

  it("a custom async verify decides; a throwing one is a 500", async () => {
    const seen: string[] = [];
    const handler = createHttpHandler(d, {
      auth: {
        verify: async (request) => {
          seen.push(new URL(request.url).pathname);
          const key = request.headers.get("x-api-key");
          if (key === "boom") throw new Error("key store down");
          return key === "team-a";
        },
      },
      onError: () => {},
    });
    expect((await handler(invocation({ "x-api-key": "team-a" }))).status).toBe(200);
    const denied = await handler(invocation({ "x-api-key": "team-b" }));
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as HttpErrorBody).error.message).toBe("the request is not authenticated");
    expect((await handler(invocation())).status).toBe(401);
    const failed = await handler(invocation({ "x-api-key": "boom" }));
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    // Probes never reach verify.
    await handler(get("/ping"));
    expect(seen).toEqual(["/invocations", "/invocations", "/invocations", "/invocations"]);
  });

  it("auth: false serves without any token", async () => {
    const handler = createHttpHandler(d, { auth: false });
    expect((await handler(invocation())).status).toBe(200);
    expect((await handler(get("/metadata"))).status).toBe(200);
  });

  it("requests refused by authentication were never logged", async () => {
    // Four invocations were let in above: two with the token, one through verify, one with auth: false.
    const log = await logged(ws, d);
    expect(log).toHaveLength(4);
  });
});
