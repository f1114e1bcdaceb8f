// Every error the handler answers, as JSON { error: { code, message, issues? } } with its status; a
// failed request is never logged as a prediction.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler, type FetchHandler, type HttpErrorBody } from "../../src/http/index.js";
import { functionModel, type Workspace, type Deployment } from "../../src/index.js";
import { deploy, logged } from "./deploy.js";
import { httpWorkspaces, iris, registerModels } from "./models.js";

const rows = iris().test_rows.slice(0, 3);
const url = (path: string) => `http://model.test${path}`;
const json = (body: unknown, init: RequestInit = {}) =>
  new Request(url("/invocations"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });

async function error(res: Response): Promise<HttpErrorBody["error"]> {
  expect(res.headers.get("content-type")).toBe("application/json");
  const body = (await res.json()) as HttpErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  return body.error;
}

describe.each(httpWorkspaces())("HTTP errors on %s", (_name, open) => {
  let ws: Workspace;
  let d: Deployment;
  let handler: FetchHandler;
  const unexpected: unknown[] = [];
  beforeAll(async () => {
    ws = await open();
    await registerModels(ws);
    d = await deploy(ws, "iris@2");
    handler = createHttpHandler(d, { auth: false, maxBodyBytes: 4096, onError: (e) => unexpected.push(e) });
  });
  afterAll(async () => {
    await d.close();
    await ws.close();
  });

  it("bad JSON → 400 VALIDATION with an invalid_json issue", async () => {
    const res = await handler(json('{"inputs": [[1, 2,'));
    expect(res.status).toBe(400);
    const e = await error(res);
    expect(e.code).toBe("VALIDATION");
    expect(e.message).toMatch(/not valid JSON/);
    expect(e.issues?.[0].code).toBe("invalid_json");
  });

  it.each<[string, unknown, RegExp]>([
    ["an array", [[1, 2, 3, 4]], /JSON object/],
    ["no input format", { data: rows }, /exactly one of/],
    ["two input formats", { inputs: rows, instances: rows }, /instances and inputs/],
    ["dataframe_split without data", { dataframe_split: { columns: ["a"] } }, /dataframe_split is invalid/],
    [
      "dataframe_split rows of the wrong length",
      { dataframe_split: { columns: ["a", "b"], data: [[1]] } },
      /has 1 values/,
    ],
    ["dataframe_records that are not objects", { dataframe_records: [1, 2] }, /dataframe_records is invalid/],
    ["params that are not an object", { inputs: rows, params: [1] }, /params is invalid/],
  ])("a body with %s → 400", async (_what, body, message) => {
    const res = await handler(json(body));
    expect(res.status).toBe(400);
    const e = await error(res);
    expect(e.code).toBe("VALIDATION");
    expect(e.message).toMatch(message);
  });

  it("inputs that break the signature → 400 with zod's issues (path and code)", async () => {
    const res = await handler(json({ inputs: [[1, 2, 3]] }));
    expect(res.status).toBe(400);
    const e = await error(res);
    expect(e.code).toBe("VALIDATION");
    expect(e.issues).toEqual([expect.objectContaining({ code: "too_small", path: [0], minimum: 4 })]);
  });

  it("a body over the limit → 413: a declared Content-Length is refused before reading", async () => {
    const big = JSON.stringify({ inputs: Array.from({ length: 400 }, () => [1.5, 2.5, 3.5, 4.5]) });
    expect(big.length).toBeGreaterThan(4096);
    const res = await handler(json(big));
    expect(res.status).toBe(413);
    expect((await error(res)).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("a streamed body over the limit → 413 as soon as the limit is passed, without reading the rest", async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode(`${"[1,2,3,4],".repeat(100)}`);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled === 1) controller.enqueue(new TextEncoder().encode('{"inputs": ['));
        else if (pulled > 1000) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await handler(
      new Request(url("/invocations"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect((await error(res)).message).toMatch(/limit of 4096 bytes/);
    // 4096 bytes are 5 chunks of 1,000: the stream stopped there, not at its 1,000th chunk.
    expect(pulled).toBeLessThan(10);
  });

  it("an unknown route → 404", async () => {
    const res = await handler(new Request(url("/predict"), { method: "POST" }));
    expect(res.status).toBe(404);
    const e = await error(res);
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toBe("no route POST /predict");
  });

  it.each([
    ["GET", "/invocations", "POST"],
    ["PUT", "/feedback", "POST"],
    ["POST", "/metadata", "GET, HEAD"],
    ["DELETE", "/ping", "GET, HEAD"],
    ["POST", "/health", "GET, HEAD"],
    ["POST", "/version", "GET, HEAD"],
  ])("%s %s → 405 with Allow: %s", async (method, path, allow) => {
    const res = await handler(new Request(url(path), { method }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect((await error(res)).code).toBe("METHOD_NOT_ALLOWED");
  });

  it.each([
    ["text/plain", /takes application\/json or text\/csv; got 'text\/plain'/],
    ["application/x-www-form-urlencoded", /got 'application\/x-www-form-urlencoded'/],
    ["application/json; charset=latin1", /only UTF-8/],
    ["application/json; format=pandas-split", /unrecognised Content-Type parameters: format/],
    [undefined, /got no Content-Type/],
  ])("Content-Type %s → 415", async (type, message) => {
    const res = await handler(
      new Request(url("/invocations"), {
        method: "POST",
        body: new TextEncoder().encode(JSON.stringify({ inputs: rows })),
        ...(type ? { headers: { "content-type": type } } : {}),
      }),
    );
    expect(res.status).toBe(415);
    const e = await error(res);
    expect(e.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(e.message).toMatch(message);
  });

  it("bad CSV → 400 naming the line", async () => {
    const res = await handler(json("a,b,c,d\n1,2,3\n", { headers: { "content-type": "text/csv" } }));
    expect(res.status).toBe(400);
    expect((await error(res)).message).toBe("CSV line 2: has 3 fields, the header has 4");
    const quote = await handler(json('a,b\n"1,2\n', { headers: { "content-type": "text/csv" } }));
    expect((await error(quote)).message).toMatch(/quoted field is not closed/);
  });

  it("a body that is not UTF-8 → 400", async () => {
    const res = await handler(
      new Request(url("/invocations"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      }),
    );
    expect(res.status).toBe(400);
    expect((await error(res)).message).toMatch(/not valid UTF-8/);
  });

  it("feedback: recorded for a known prediction, 404 for an unknown one, 400 when malformed", async () => {
    const predicted = await handler(json({ inputs: rows }));
    const id = predicted.headers.get("x-prediction-id") as string;
    const fb = (body: unknown, type = "application/json") =>
      handler(
        new Request(url("/feedback"), {
          method: "POST",
          headers: { "content-type": type },
          body: JSON.stringify(body),
        }),
      );
    const ok = await fb({ predictionId: id, label: [1, 1, 2] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ predictionId: id, recorded: true });
    const unknown = await fb({ predictionId: "01J0000000000000000000000Z", outcome: 1 });
    expect(unknown.status).toBe(404);
    expect((await error(unknown)).code).toBe("NOT_FOUND");
    const neither = await fb({ predictionId: id });
    expect(neither.status).toBe(400);
    expect((await error(neither)).issues?.[0].message).toBe("give a label, an outcome, or both");
    const badOutcome = await fb({ predictionId: id, outcome: "yes" });
    expect(badOutcome.status).toBe(400);
    expect((await error(badOutcome)).issues?.[0].path).toEqual(["outcome"]);
    expect((await fb({ predictionId: id, outcome: 1 }, "text/csv")).status).toBe(415);
  });

  it("an unexpected failure → 500 'internal error' without stack or detail; onError is told", async () => {
    ws.registry.registerFunction("broken", () => () => {
      throw new Error("database password is hunter2");
    });
    await ws.registry.register("broken", { model: functionModel("broken", {}) });
    const broken = await deploy(ws, "broken@1");
    const h = createHttpHandler(broken, { auth: false, onError: (e) => unexpected.push(e) });
    const res = await h(json({ inputs: [[1]] }));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    expect(text).not.toMatch(/hunter2|at |\.ts/);
    expect(unexpected.map((e) => (e as Error).message)).toContain("database password is hunter2");
    expect(await logged(ws, broken)).toEqual([]);
    await broken.close();
  });

  it("no failed request was logged as a prediction: only the one that succeeded", async () => {
    const log = await logged(ws, d);
    expect(log).toHaveLength(1);
  });
});
