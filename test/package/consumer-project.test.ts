// The packed package in a new project with only mlcycle, zod, typescript and @types/node installed
// (from the npm registry) — no optional peer — checked with the tsconfig README.md states, then run:
// every `exports` subpath imported from the installed tarball, and `npx mlcycle --help`. Then vitest
// is added, and a conformance suite of `mlcycle/testing` runs from the tarball.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, unknown>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const optionalPeers = Object.keys(pkg.peerDependenciesMeta).filter((p) => pkg.peerDependenciesMeta[p]?.optional);
/**
 * Every subpath of the `exports` map but `./testing` (which needs vitest, added in the second test),
 * with a name each must export: imported by the program below from the installed package, with no
 * optional peer installed — each entry loads its driver on first use, or takes the caller's client.
 */
const subpathExports: Record<string, string> = {
  mlcycle: "createWorkspace",
  "mlcycle/onnx": "onnxFlavor",
  "mlcycle/s3": "s3ArtifactStore",
  "mlcycle/redis": "redisOnlineStore",
  "mlcycle/bullmq": "bullmqExecutor",
  "mlcycle/postgres": "postgresStore",
  "mlcycle/duckdb": "duckdbOfflineStore",
  "mlcycle/http": "createHttpHandler",
};
const TIMEOUT_MS = 15 * 60_000;
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * The tsconfig README.md tells users to set, plus where to write the compiled program. Without
 * `skipLibCheck`: the shipped declarations must check on their own (no driver's types needed).
 */
const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023", "ESNext.Disposable"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    types: ["node"],
    outDir: "out",
  },
  include: ["src"],
};

/** Uses every public module the way a user's service would, and prints what it saw. */
const program = `
import { createRequire } from "node:module";
import { z } from "zod";
${Object.keys(subpathExports)
  .map((spec, i) => `import * as entry${i} from "${spec}";`)
  .join("\n")}
import { createWorkspace, evaluate, functionModel, isMlcycleError, pipeline, step, type MlcycleEvents } from "mlcycle";
import { onnxFlavor } from "mlcycle/onnx";
import { createHttpHandler, serveHttp } from "mlcycle/http";

const seen: Array<keyof MlcycleEvents> = [];
await using ws = await createWorkspace();
ws.events.on("run.ended", () => void seen.push("run.ended"));
ws.events.on("pipeline.run.finished", () => void seen.push("pipeline.run.finished"));
ws.events.on("model.version.created", () => void seen.push("model.version.created"));
ws.events.on("features.ingested", () => void seen.push("features.ingested"));

// experiments
const runId = await ws.experiments.withRun({ experiment: "consumer", params: { lr: 0.1 } }, async (run) => {
  run.logMetrics({ acc: 0.9 });
  return run.id;
});
const { runs } = await ws.experiments.searchRuns({ filter: "metrics.acc > 0.5" });

// pipelines
const double = step({
  name: "double",
  version: "1",
  input: z.object({ x: z.number() }),
  output: z.object({ y: z.number() }),
  run: ({ x }) => ({ y: 2 * x }),
});
const p = pipeline("consumer", { params: z.object({ x: z.number() }) }).step("double", double, ({ params }) => ({ x: params.x }));
const result = await ws.pipelines.run(p, { x: 21 });
const y: number | undefined = result.outputs.double?.y;

// registry
ws.registry.registerFunction("constant", (s: { value: number }) => (rows: number[][]) => rows.map(() => s.value));
ws.registry.registerFlavor(onnxFlavor());
const v = await ws.registry.register("consumer", {
  model: functionModel("constant", { value: 1 }),
  signature: { inputs: z.array(z.array(z.number())) },
  runId,
});
const model = await ws.registry.load(\`consumer@\${v.version}\`);
const predictions = await model.predict([[0], [1]]);

// evaluation
const metrics = evaluate({ task: "regression", yTrue: [1, 2, 3], yPred: [1, 2, 4] }).metrics;

// features
await ws.features.applyEntity({ name: "user", joinKeys: { user_id: "string" } });
await ws.features.applyFeatureView({ name: "activity", entities: ["user"], schema: z.object({ clicks: z.number() }) });
await ws.features.ingest("activity", [{ user_id: "u1", event_timestamp: Date.now(), clicks: 3 }]);
await ws.features.materialize();
const online = await ws.features.getOnlineFeatures([{ user_id: "u1" }], ["activity:clicks"]);

// lineage
const up = await ws.lineage.upstream({ kind: "artifact", externalId: \`model_version:consumer/\${v.version}\` }, { maxHops: 4 });

// serving over HTTP
const deployment = await ws.serving.deploy(\`consumer@\${v.version}\`);
const server = await serveHttp(createHttpHandler(deployment, { auth: { token: "t" } }), { port: 0, closeAfterDrain: [deployment] });
const res = await fetch(\`\${server.url}/invocations\`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: "Bearer t" },
  body: JSON.stringify({ inputs: [[0], [1]] }),
});
const http = ((await res.json()) as { predictions: number[] }).predictions;
await server.close();

// mlcycle/testing without vitest installed: an error that says what is missing
let testing = "loaded";
try {
  await import("mlcycle/testing");
} catch (e) {
  testing = (isMlcycleError(e) ? "MlcycleError: " : "Error: ") + (e as Error).message;
}

// every subpath of the exports map, loaded without any optional peer
const entries = {
${Object.entries(subpathExports)
  .map(([spec, name], i) => `  "${spec}": typeof (entry${i} as Record<string, unknown>)["${name}"],`)
  .join("\n")}
  "mlcycle/package.json": (createRequire(import.meta.url)("mlcycle/package.json") as { version: string }).version,
};

console.log(JSON.stringify({
  entries,
  runs: runs.length, y, predictions, http, mae: metrics.mean_absolute_error, clicks: online.rows[0]?.values.clicks,
  lineage: up.nodes.length > 1, events: [...new Set(seen)].sort(), testing,
}));
`;

const dir = mkdtempSync(join(tmpdir(), "mlcycle-consumer-project-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the packed package in a new project", () => {
  it.skipIf(process.env.MLCYCLE_SKIP_PACK === "1")(
    "installs with only zod, typescript and @types/node beside it, type-checks with the README's tsconfig and runs",
    async () => {
      const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL_CUDA: "skip", npm_config_fund: "false" };
      // `npm test` builds dist first; `files` limits the tarball to it.
      const packed = await exec(npm, ["pack", "--json", "--pack-destination", dir], { cwd: root, env });
      const tarball = join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]?.filename as string);
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({
          name: "consumer",
          private: true,
          type: "module",
          dependencies: {
            mlcycle: `file:${tarball}`,
            zod: pkg.dependencies.zod,
            typescript: pkg.devDependencies.typescript,
            "@types/node": pkg.devDependencies["@types/node"],
          },
        }),
      );
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
      rmSync(join(dir, "src"), { recursive: true, force: true });
      mkdirSync(join(dir, "src"));
      writeFileSync(join(dir, "src", "main.ts"), program);
      // --prefer-offline: the npm cache serves repeated runs.
      await exec(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
        cwd: dir,
        env,
        timeout: TIMEOUT_MS,
      });
      // No optional peer came with it: what follows runs without any of them.
      expect(optionalPeers.filter((peer) => existsSync(join(dir, "node_modules", peer)))).toEqual([]);
      const tsc = await exec(process.execPath, [join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "."], {
        cwd: dir,
        env,
      }).catch((e: { stdout: string; stderr: string }) => e);
      expect(`${tsc.stdout}${tsc.stderr}`).toBe("");
      const run = await exec(process.execPath, [join(dir, "out", "main.js")], { cwd: dir, env, timeout: 60_000 });
      const seen = JSON.parse(run.stdout.trim().split("\n").pop() as string);
      expect(seen.entries).toEqual({
        ...Object.fromEntries(Object.keys(subpathExports).map((spec) => [spec, "function"])),
        "mlcycle/package.json": pkg.version,
      });
      expect(seen).toMatchObject({
        runs: 1,
        y: 42,
        predictions: [1, 1],
        http: [1, 1],
        mae: 1 / 3,
        clicks: 3,
        lineage: true,
        events: ["features.ingested", "model.version.created", "pipeline.run.finished", "run.ended"],
      });
      expect(seen.testing).toMatch(/^MlcycleError: mlcycle\/testing needs vitest/);
      // The bin is installed with the package.
      const bin = await exec(join(dir, "node_modules", ".bin", "mlcycle"), ["--version"], { cwd: dir, env });
      expect(bin.stdout.trim()).toBe(pkg.version);
      // As a user runs it: npx finds the installed bin (and downloads nothing).
      const help = await exec("npx", ["--no-install", "mlcycle", "--help"], { cwd: dir, env, timeout: 60_000 });
      expect(help.stdout).toMatch(/^Usage: mlcycle \[options\] \[command\]/);
      for (const command of ["experiments", "runs", "models", "pipelines", "features", "lineage", "serve", "monitors"])
        expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    },
    TIMEOUT_MS,
  );

  it.skipIf(process.env.MLCYCLE_SKIP_PACK === "1")(
    "with vitest added, mlcycle/testing's conformance suites run from the installed package",
    async () => {
      const env = { ...process.env, npm_config_fund: "false" };
      // After the first test: the project and its install are there.
      await exec(
        npm,
        [
          "install",
          "--no-audit",
          "--no-fund",
          "--prefer-offline",
          "--loglevel=error",
          `vitest@${pkg.devDependencies.vitest}`,
        ],
        { cwd: dir, env, timeout: TIMEOUT_MS },
      );
      writeFileSync(
        join(dir, "src", "memory.test.ts"),
        `import { memoryArtifactStore, MemoryOnlineStore } from "mlcycle";
import { artifactStoreSuite, onlineStoreSuite } from "mlcycle/testing";
artifactStoreSuite("memory", async () => memoryArtifactStore(), {
  corrupt: async (store, digest) => (store as ReturnType<typeof memoryArtifactStore>).corrupt(digest, new Uint8Array([1])),
});
onlineStoreSuite("memory", async () => new MemoryOnlineStore());
`,
      );
      const run = await exec(
        process.execPath,
        [join(dir, "node_modules", "vitest", "vitest.mjs"), "run", "--root", dir, "--reporter", "json"],
        { cwd: dir, env: { ...env, CI: "1" }, timeout: 5 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      ).catch((e: { stdout: string; stderr: string }) => e);
      const report = JSON.parse(run.stdout.slice(run.stdout.indexOf("{"))) as {
        success: boolean;
        numPassedTests: number;
        numFailedTests: number;
      };
      expect(report.numFailedTests, run.stderr).toBe(0);
      expect(report.success).toBe(true);
      expect(report.numPassedTests).toBeGreaterThanOrEqual(15);
    },
    TIMEOUT_MS,
  );
});

it("the package check covers every subpath of the exports map", () => {
  const covered = [...Object.keys(subpathExports), "mlcycle/testing", "mlcycle/package.json"].map((spec) =>
    spec === "mlcycle" ? "." : `./${spec.slice("mlcycle/".length)}`,
  );
  expect(covered.sort()).toEqual(Object.keys(pkg.exports).sort());
});
