// `mlcycle models register` + `mlcycle serve` serve the iris ONNX export trained in scikit-learn and
// answer every input format of MLflow's protocol with scikit-learn's probabilities; usage errors exit
// 2, runtime errors 1, SIGTERM and SIGINT drain and exit 0.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionModel, openWorkspace } from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { runCli, type Served, startServe } from "./run-cli.js";

interface IrisFixture {
  feature_names: string[];
  test_rows: number[][];
  expected_proba: number[][];
  expected_label: number[];
}
const exp = JSON.parse(readFileSync(fixturePath("models", "iris-logreg.expected.json"), "utf8")) as IrisFixture;
const columns = exp.feature_names;
const rows = exp.test_rows;
const TOKEN = "cli-test-token";

const formats: Array<[string, string, string]> = [
  ["dataframe_split", "application/json", JSON.stringify({ dataframe_split: { columns, data: rows } })],
  [
    "dataframe_records",
    "application/json",
    JSON.stringify({ dataframe_records: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))) }),
  ],
  ["instances", "application/json", JSON.stringify({ instances: rows })],
  ["inputs", "application/json", JSON.stringify({ inputs: rows })],
  ["text/csv", "text/csv", `${[columns.join(","), ...rows.map((r) => r.join(","))].join("\n")}\n`],
];

function expectIris(body: { predictions: { label: number[]; probabilities: number[][] } }) {
  expect(body.predictions.label).toEqual(exp.expected_label);
  expect(body.predictions.probabilities).toHaveLength(exp.expected_proba.length);
  for (const [i, row] of body.predictions.probabilities.entries())
    for (const [j, p] of row.entries()) expect(Math.abs(p - exp.expected_proba[i][j])).toBeLessThanOrEqual(1e-5);
}

const stop = async (served: Served, signal: NodeJS.Signals = "SIGTERM") => {
  served.child.kill(signal);
  return served.exited;
};

describe("mlcycle serve", () => {
  const cwd = tempDir("mlcycle-cli-serve-");
  const running: Served[] = [];
  const serve = async (args: string[], env: Record<string, string> = {}) => {
    const s = await startServe(args, { cwd, env });
    running.push(s);
    return s;
  };
  beforeAll(async () => {
    const r = await runCli(
      [
        "models",
        "register",
        "iris",
        "--file",
        fixturePath("models", "iris-logreg.onnx"),
        "--flavor",
        "onnx",
        "--alias",
        "champion",
      ],
      { cwd },
    );
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => {
    for (const s of running) if (s.child.exitCode === null) s.child.kill("SIGKILL");
  });

  it("serves models:/iris@champion: all four JSON formats and CSV give scikit-learn's probabilities; SIGTERM exits 0", async () => {
    const served = await serve(["models:/iris@champion", "--port", "0", "--token", TOKEN]);
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(served.output().stdout).toMatch(/serving iris@1 \(onnx\)\nlistening on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(served.output().stdout).not.toMatch(/token:/);
    for (const [name, type, body] of formats) {
      const res = await fetch(`${served.url}/invocations`, {
        method: "POST",
        headers: { "content-type": type, authorization: `Bearer ${TOKEN}` },
        body,
      });
      expect(res.status, `${name}: ${await res.clone().text()}`).toBe(200);
      expect(res.headers.get("x-prediction-id")).toMatch(/^[0-9A-Z]{26}$/);
      expectIris((await res.json()) as never);
    }
    expect((await fetch(`${served.url}/ping`)).status).toBe(200);
    expect((await fetch(`${served.url}/metadata`)).status).toBe(401);
    const meta = await fetch(`${served.url}/metadata`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await meta.json()).toMatchObject({ model: "iris", version: 1, flavor: "onnx" });
    expect(await stop(served)).toBe(0);
    expect(served.output().stderr).toMatch(/SIGTERM: draining/);
  });

  it("without --token or MLCYCLE_TOKEN a token is generated and printed once; MLCYCLE_TOKEN is used when set", async () => {
    const generated = await serve(["iris@1", "--port", "0"]);
    const m = /^token: (\S+) \(generated/m.exec(generated.output().stdout);
    expect(m).not.toBeNull();
    const token = (m as RegExpExecArray)[1];
    expect(token.length).toBeGreaterThanOrEqual(32);
    const ok = await fetch(`${generated.url}/metadata`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await stop(generated, "SIGINT")).toBe(0);

    const fromEnv = await serve(["iris@champion", "--port", "0"], { MLCYCLE_TOKEN: "from-env" });
    expect(fromEnv.output().stdout).not.toMatch(/token:/);
    expect((await fetch(`${fromEnv.url}/metadata`, { headers: { authorization: "Bearer from-env" } })).status).toBe(
      200,
    );
    expect((await fetch(`${fromEnv.url}/metadata`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      401,
    );
    expect(await stop(fromEnv)).toBe(0);
  });

  it("--no-auth serves without a token and says so on stderr", async () => {
    const open = await serve(["iris@latest", "--port", "0", "--no-auth"]);
    expect(open.output().stderr).toMatch(/authentication is off/);
    const res = await fetch(`${open.url}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: rows }),
    });
    expectIris((await res.json()) as never);
    expect(await stop(open)).toBe(0);
  });

  it("--module registers a function model's code; SIGTERM lets the request in flight finish, then exits 0", async () => {
    {
      await using ws = await openWorkspace(join(cwd, ".mlcycle"));
      await ws.registry.register("slow", { model: functionModel("slow", { ms: 600 }) });
    }
    const module = join(cwd, "register.mjs");
    writeFileSync(
      module,
      `export default function register(ws) {
  ws.registry.registerFunction("slow", (s) => async (rows) => {
    await new Promise((resolve) => setTimeout(resolve, s.ms));
    return rows.map((r) => r[0] * 2);
  });
}
`,
    );
    const served = await serve(["slow@1", "--port", "0", "--no-auth", "--module", module]);
    const inFlight = fetch(`${served.url}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: [[21]] }),
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    served.child.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ predictions: [42] });
    expect(await served.exited).toBe(0);
  });

  it.each([
    [["nope@champion", "--port", "0"], /^mlcycle: .*'nope'.* not found/],
    [["iris@9", "--port", "0"], /^mlcycle: .*not found/],
    [["iris@1", "--workspace", "no-such-workspace"], /^mlcycle: no workspace at .*no-such-workspace/],
    [["iris@1", "--module", "missing.mjs"], /^mlcycle: --module missing.mjs: no such file/],
  ])("a runtime error %j → exit 1 with one line on stderr", async (args, message) => {
    const r = await runCli(["serve", ...args], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("a port in use → exit 1", async () => {
    const first = await serve(["iris@1", "--port", "0", "--no-auth"]);
    const port = new URL(first.url).port;
    const r = await runCli(["serve", "iris@1", "--port", port, "--no-auth"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^mlcycle: cannot listen on 127.0.0.1:${port}: EADDRINUSE`, "m"));
    expect(await stop(first)).toBe(0);
  });

  it.each([
    [[], /missing required argument 'MODEL_URI'/],
    [["iris@1", "--port", "http"], /--port must be an integer from 0 to 65535/],
    [["iris@1", "--port", "70000"], /--port must be an integer from 0 to 65535/],
    [["iris@1", "--poll-interval", "-5"], /--poll-interval must be an integer/],
    [["iris@1", "--token", "t", "--no-auth"], /--token and --no-auth cannot be used together/],
    [["iris@1", "--tokn", "t"], /unknown option '--tokn'/],
  ])("a usage error %j → exit 2", async (args, message) => {
    const r = await runCli(["serve", ...args], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mlcycle: /);
    expect(r.stderr).toMatch(message);
  });
});
