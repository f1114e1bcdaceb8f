// examples/embedding/{express,fastify}.ts: each service answers its own routes and the model mounted at
// /models/price (scoring, auth, probes, feedback joined to the prediction), and each runs as a script
// (`npm run example:express|fastify`) that listens, answers, and exits cleanly on SIGTERM.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as expressExample from "../../examples/embedding/express.js";
import * as fastifyExample from "../../examples/embedding/fastify.js";

const root = join(import.meta.dirname, "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const auth = { authorization: "Bearer t0ken", "content-type": "application/json" };

describe.each([
  ["express", expressExample.main],
  ["fastify", fastifyExample.main],
])("examples/embedding/%s.ts", (name, main) => {
  let service: Awaited<ReturnType<typeof main>>;
  beforeAll(async () => {
    service = await main({ port: 0, token: "t0ken" });
  });
  afterAll(() => service.close());

  it("serves the model under /models/price with MLflow's protocol, behind the token", async () => {
    const res = await fetch(`${service.url}/models/price/invocations`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        dataframe_split: {
          columns: ["rooms", "city"],
          data: [
            [3, "Paris"],
            [2, "Lyon"],
          ],
        },
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ predictions: [250, 100] });
    expect(res.headers.get("x-model-version")).toBe("1");
    const predictionId = res.headers.get("x-prediction-id");
    const feedback = await fetch(`${service.url}/models/price/feedback`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ predictionId, label: [240, 110] }),
    });
    expect(await feedback.json()).toEqual({ predictionId, recorded: true });
    const denied = await fetch(`${service.url}/models/price/invocations`, { method: "POST", body: "{}" });
    expect(denied.status).toBe(401);
    expect((await fetch(`${service.url}/models/price/ping`)).status).toBe(200);
    const bad = await fetch(`${service.url}/models/price/invocations`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ dataframe_records: [{ rooms: "three", city: "Paris" }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("VALIDATION");
  });

  it("answers its own routes beside it, one of them calling the deployment in process", async () => {
    const home = (await (await fetch(`${service.url}/`)).json()) as { service: string; model: { version: number } };
    expect(home).toMatchObject({ service: "listings", model: { version: 1 } });
    const quote = await fetch(`${service.url}/listings/quote`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rooms: 2, city: "Lyon" }),
    });
    expect(await quote.json()).toMatchObject({ price: 100, version: 1 });
    const bad = await fetch(`${service.url}/listings/quote`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rooms: 0 }),
    });
    expect(bad.status).toBe(400);
  });

  it(`runs as \`npm run example:${name}\`: listens, answers, exits 0 on SIGTERM`, async () => {
    const child = spawn(process.execPath, ["--import", tsx, join(root, "examples", "embedding", `${name}.ts`)], {
      env: { ...process.env, PORT: "0" },
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        stdout += d;
        const m = /listening on (http:\/\/\S+?);/.exec(stdout);
        if (m) resolve(m[1] as string);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
    });
    expect(stdout).toContain(`curl -s -X POST ${url}/models/price/invocations`);
    const res = await fetch(`${url}/models/price/invocations`, {
      method: "POST",
      headers: { authorization: "Bearer example-token", "content-type": "application/json" },
      body: JSON.stringify({ dataframe_records: [{ rooms: 3, city: "Paris" }] }),
    });
    expect(await res.json()).toEqual({ predictions: [250] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);
  }, 60_000);
});
