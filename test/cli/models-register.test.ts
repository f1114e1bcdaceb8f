// `mlcycle models register`: how a model trained elsewhere reaches the registry from CI.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openWorkspace } from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { runCli } from "./run-cli.js";

const iris = fixturePath("models", "iris-logreg.onnx");

describe("mlcycle models register", () => {
  const cwd = tempDir("mlcycle-cli-register-");

  it("registers an ONNX file, moves an alias, prints the version; --json prints one object", async () => {
    const first = await runCli(
      ["models", "register", "iris", "--file", iris, "--flavor", "onnx", "--alias", "champion"],
      { cwd },
    );
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^registered iris version 1 \(onnx, sha256 [0-9a-f]{12}\); champion → 1\n$/);
    const second = await runCli(["models", "register", "iris", "-f", iris, "--flavor", "onnx", "--json"], { cwd });
    expect(second.code).toBe(0);
    const v = JSON.parse(second.stdout);
    expect(v).toMatchObject({ model: "iris", version: 2, flavor: "onnx", aliases: [], uri: "models:/iris/2" });
    expect(v.digest).toMatch(/^[0-9a-f]{64}$/);
    // The default workspace is ./.mlcycle in the working directory.
    await using ws = await openWorkspace(join(cwd, ".mlcycle"));
    expect((await ws.registry.getVersion("iris@champion")).version).toBe(1);
    expect((await ws.registry.getVersion("iris@2")).flavorMeta).toMatchObject({ inputNames: ["input"] });
  });

  it("--workspace, else MLCYCLE_WORKSPACE, names the workspace; --signature and --description are stored", async () => {
    const dir = join(cwd, "elsewhere");
    const signature = join(cwd, "signature.json");
    writeFileSync(
      signature,
      JSON.stringify({ inputs: { type: "array", items: { type: "array", items: { type: "number" } } } }),
    );
    const r = await runCli(
      [
        "models",
        "register",
        "iris",
        "-f",
        iris,
        "--flavor",
        "onnx",
        "--signature",
        signature,
        "--description",
        "from CI",
      ],
      { cwd, env: { MLCYCLE_WORKSPACE: dir } },
    );
    expect(r.code).toBe(0);
    await using ws = await openWorkspace(dir);
    const v = await ws.registry.getVersion("iris@1");
    expect(v.description).toBe("from CI");
    expect(v.signature?.inputs).toMatchObject({ type: "array" });
  });

  it("registers a json-flavor model file with the class that rebuilds it", async () => {
    const file = join(cwd, "threshold.json");
    writeFileSync(file, JSON.stringify({ cut: 0.5 }));
    const r = await runCli(
      [
        "models",
        "register",
        "cut",
        "-f",
        file,
        "--flavor",
        "json",
        "--class-name",
        "Threshold",
        "--workspace",
        "ws-json",
      ],
      { cwd },
    );
    expect(r.code).toBe(0);
    await using ws = await openWorkspace(join(cwd, "ws-json"));
    ws.registry.registerModelClass(
      class Threshold {
        constructor(readonly cut: number) {}
        static load(json: { cut: number }) {
          return new Threshold(json.cut);
        }
        predict(xs: number[]) {
          return xs.map((x) => (x > this.cut ? 1 : 0));
        }
      },
    );
    await using m = await ws.registry.load("cut@1");
    expect(await m.predict([0.2, 0.9])).toEqual([0, 1]);
  });

  it.each([
    [["models", "register", "iris", "--flavor", "onnx"], /required option '-f, --file <path>' not specified/],
    [
      ["models", "register", "iris", "-f", iris, "--flavor", "pickle"],
      /argument 'pickle' is invalid. Allowed choices are onnx, json/,
    ],
    [["models", "register", "iris", "-f", iris], /required option '--flavor <flavor>' not specified/],
    [["models", "register", "-f", iris, "--flavor", "onnx"], /missing required argument 'NAME'/],
    [["models", "register", "cut", "-f", iris, "--flavor", "json"], /--flavor json needs --class-name/],
    [["models", "regster"], /unknown command 'regster'/],
    [["serv"], /unknown command 'serv'/],
  ])("usage error %j → exit 2 with one line on stderr", async (args, message) => {
    const r = await runCli(args, { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^mlcycle: /);
    expect(lines[0]).toMatch(message);
    expect(lines.length).toBeLessThanOrEqual(2); // commander may add "(Did you mean …?)"
  });

  it.each([
    [
      ["-f", "/no/such/file.onnx", "--flavor", "onnx"],
      /^mlcycle: model: cannot read ONNX file '\/no\/such\/file.onnx': ENOENT/,
    ],
    [
      ["-f", fixturePath("models", "iris-logreg.expected.json"), "--flavor", "onnx"],
      /^mlcycle: model: onnxruntime cannot read the model/,
    ],
    [["-f", iris, "--flavor", "json", "--class-name", "X"], /^mlcycle: file: .*iris-logreg.onnx is not JSON/],
  ])("a file that cannot be registered → exit 1 with one line", async (args, message) => {
    const r = await runCli(["models", "register", "bad", ...args, "--workspace", "ws-bad"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("MLCYCLE_DEBUG=1 adds the stack", async () => {
    const r = await runCli(["models", "register", "bad", "-f", "/nope", "--flavor", "onnx", "-w", "ws-bad"], {
      cwd,
      env: { MLCYCLE_DEBUG: "1" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").length).toBeGreaterThan(2);
    expect(r.stderr).toMatch(/at /);
  });

  it("--help and --version exit 0", async () => {
    const help = await runCli(["models", "register", "--help"], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: mlcycle models register \[options\] <NAME>/);
    const version = await runCli(["--version"], { cwd });
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  });
});
