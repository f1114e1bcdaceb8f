// Eight processes on one PostgreSQL schema at once, each with its own pool and workspace, started
// together: registering versions of one model gives distinct, consecutive numbers; moving one alias
// leaves an audit trail in which every move starts where the one before ended; metrics logged to one
// run are all there, once; each step of a pipeline run is claimed and committed by exactly one.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresStore } from "../../../src/adapters/postgres/index.js";
import { createWorkspace, localArtifactStore, type Workspace } from "../../../src/index.js";
import { POSTGRES_URL, service, uniqueName } from "../../services.js";

const root = join(import.meta.dirname, "..", "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const child = join(import.meta.dirname, "concurrency-child.ts");
const PROCESSES = 8;

/** The eight processes, each answering one JSON line per command. */
class Processes {
  private readonly children: ChildProcess[] = [];
  private readonly lines: string[][] = [];
  private readonly waiting: Array<(() => void) | undefined> = [];
  private readonly stderr: string[] = [];

  async start(schema: string, artifacts: string): Promise<void> {
    for (let i = 0; i < PROCESSES; i++) {
      const c = spawn(process.execPath, ["--import", tsx, child, POSTGRES_URL, schema, artifacts, String(i)], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      this.children.push(c);
      this.lines.push([]);
      this.stderr.push("");
      let rest = "";
      c.stdout!.setEncoding("utf8");
      c.stdout!.on("data", (d: string) => {
        const parts = (rest + d).split("\n");
        rest = parts.pop()!;
        this.lines[i]!.push(...parts);
        this.waiting[i]?.();
      });
      c.stderr!.on("data", (d) => (this.stderr[i] += d));
      c.once("exit", () => this.waiting[i]?.());
    }
    expect(await Promise.all(this.children.map((_, i) => this.next(i)))).toEqual(Array(PROCESSES).fill("ready"));
  }

  /** Sends one command to every process at once; what each did, in process order. */
  async all(mode: string, count: number, extra = ""): Promise<unknown[][]> {
    for (const c of this.children) c.stdin!.write(`${JSON.stringify({ mode, count, extra })}\n`);
    const answers = await Promise.all(this.children.map((_, i) => this.next(i)));
    return answers.map((a) => JSON.parse(a) as unknown[]);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map((c) => {
        if (c.exitCode !== null) return undefined;
        c.stdin!.end();
        return new Promise((resolve) => c.once("exit", resolve));
      }),
    );
  }

  private async next(i: number): Promise<string> {
    for (;;) {
      const line = this.lines[i]!.shift();
      if (line !== undefined) return line;
      const c = this.children[i]!;
      if (c.exitCode !== null) throw new Error(`process ${i} exited ${c.exitCode}: ${this.stderr[i]}`);
      await new Promise<void>((resolve) => (this.waiting[i] = resolve));
    }
  }
}

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("eight processes on one PostgreSQL schema", () => {
  const schema = uniqueName("conc").toLowerCase();
  const artifacts = mkdtempSync(join(tmpdir(), "mlcycle-pg-conc-"));
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  const processes = new Processes();
  let ws: Workspace;

  beforeAll(async () => {
    // Migrated once here, so that every process's time goes to the race itself.
    ws = await createWorkspace({
      ...postgresStore({ pool, schema }),
      artifacts: localArtifactStore({ root: artifacts }),
    });
    ws.registry.registerFunction("const", (s: { v: number }) => () => s.v);
    await processes.start(schema, artifacts);
  }, 120_000);

  afterAll(async () => {
    await processes.stop();
    await ws?.close();
    await pool.query(`drop schema if exists "${schema}" cascade`);
    await pool.end();
    rmSync(artifacts, { recursive: true, force: true });
  });

  it("registering versions of one model: distinct, consecutive numbers", async () => {
    const per = 6;
    const results = (await processes.all("register", per)) as number[][];
    const all = results.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: PROCESSES * per }, (_, i) => i + 1));
    // Each process saw its own versions in increasing order.
    for (const mine of results) expect([...mine].sort((a, b) => a - b)).toEqual(mine);
    const versions = await ws.registry.listVersions("shared");
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual(all);
  }, 180_000);

  it("moving one alias: an audit trail in which each move starts where the last ended", async () => {
    const per = 10;
    const results = (await processes.all("alias", per)) as number[][];
    const trail = (await ws.registry.aliasHistory("shared", "champion", { limit: 1000 })).reverse(); // oldest first
    // A move to the version the alias already points at moves nothing and is not audited, so there
    // are at most as many entries as calls.
    expect(trail.length).toBeGreaterThan(PROCESSES);
    expect(trail.length).toBeLessThanOrEqual(PROCESSES * per);
    expect(trail[0]!.from).toBeUndefined();
    for (let i = 1; i < trail.length; i++) {
      expect(trail[i]!.from, `move ${i}`).toBe(trail[i - 1]!.to);
      expect(trail[i]!.to, `move ${i}`).not.toBe(trail[i]!.from);
    }
    const alias = await ws.registry.getVersion("shared@champion");
    expect(alias.version).toBe(trail.at(-1)!.to);
    // What each process's moves recorded is, in order, a part of what it asked for.
    for (const [p, asked] of results.entries()) {
      const recorded = trail.filter((m) => m.actor === `p${p}`).map((m) => m.to);
      let k = 0;
      for (const to of asked) if (recorded[k] === to) k++;
      expect(k, `process ${p}: ${recorded} within ${asked}`).toBe(recorded.length);
    }
  }, 180_000);

  it("logging metrics to one run: nothing lost, nothing duplicated", async () => {
    const per = 200;
    const run = await ws.experiments.startRun({ experiment: "concurrency" });
    await processes.all("metrics", per, run.id);
    const history = await ws.experiments.metricHistory(run.id, "m");
    expect(history).toHaveLength(PROCESSES * per);
    expect(history.map((o) => o.step).sort((a, b) => a - b)).toEqual(
      Array.from({ length: PROCESSES * per }, (_, i) => i),
    );
    for (const o of history) {
      const p = Math.floor(o.step / per);
      expect(o.value).toBeCloseTo(p + (o.step % per) / per, 12);
    }
    await run.end();
  }, 180_000);

  it("claiming step runs: each step is claimed and committed by one process", async () => {
    const steps = 40;
    const now = Date.now();
    const runId = `conc-run-${now}`;
    await ws.metadata.pipelines.createRun({
      id: runId,
      pipeline: "race",
      version: "1",
      status: "running",
      params: {},
      createdAt: now,
      updatedAt: now,
    });
    const results = (await processes.all("claim", steps, runId)) as string[][];
    const won = results.flat().sort();
    expect(won).toEqual(Array.from({ length: steps }, (_, i) => `s${i}`).sort());
    for (let i = 0; i < steps; i++) {
      const record = await ws.metadata.pipelines.getStep(runId, `s${i}`);
      expect(record?.status).toBe("succeeded");
      const winner = results.findIndex((r) => r.includes(`s${i}`));
      expect(record?.claimToken?.startsWith(`p${winner}-`)).toBe(true);
    }
  }, 180_000);
});
