// The GET routes: probes, version, metadata; and a handler served under a base path.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler } from "../../src/http/index.js";
import type { Workspace } from "../../src/index.js";
import { deploy } from "./deploy.js";
import { httpWorkspaces, registerModels } from "./models.js";

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
  version: string;
};
const get = (path: string) => new Request(`http://model.test${path}`);

describe.each(httpWorkspaces())("GET routes on %s", (_name, open) => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await open();
    await registerModels(ws);
  });
  afterAll(() => ws.close());

  it("/ping and /health: 200 while the deployment takes traffic, 503 once it is closed", async () => {
    const d = await deploy(ws, "iris@1");
    const handler = createHttpHandler(d, { auth: false });
    for (const path of ["/ping", "/health"]) {
      const res = await handler(get(path));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok", ready: true, state: "ready" });
    }
    await d.close();
    for (const path of ["/ping", "/health"]) {
      const res = await handler(get(path));
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "unavailable", ready: false, state: "closed" });
    }
  });

  it("/version: the mlcycle version", async () => {
    await using d = await deploy(ws, "iris@1");
    const res = await createHttpHandler(d, { auth: false })(get("/version"));
    expect(await res.json()).toEqual({ version: pkg.version });
  });

  it("/metadata: model, version, flavor and the signature as JSON Schema", async () => {
    await using d = await deploy(ws, "sales@1");
    const res = await createHttpHandler(d, { auth: false })(get("/metadata"));
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, any>;
    expect(meta).toMatchObject({ model: "sales", version: 1, flavor: "function", ref: "sales@1" });
    expect(meta.signature.inputs).toMatchObject({
      type: "array",
      items: { type: "object", properties: { price: { type: "number" }, region: { type: "string" } } },
    });
    expect(meta.signature.outputs).toMatchObject({ type: "array", items: { type: "number" } });
    expect(meta).toEqual(JSON.parse(JSON.stringify(d.describe())));
  });

  it("basePath serves every route under a prefix, and nothing outside it", async () => {
    await using d = await deploy(ws, "iris@1");
    const handler = createHttpHandler(d, { auth: false, basePath: "/models/iris/" });
    expect((await handler(get("/models/iris/ping"))).status).toBe(200);
    expect((await handler(get("/models/iris/metadata"))).status).toBe(200);
    const res = await handler(
      new Request("http://model.test/models/iris/invocations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] }),
      }),
    );
    expect(res.status).toBe(200);
    expect((await handler(get("/ping"))).status).toBe(404);
    expect(() => createHttpHandler(d, { auth: false, basePath: "models" })).toThrow(/basePath: must start with \//);
  });
});
