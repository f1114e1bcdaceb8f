import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { crashPipeline } from "./fixtures/crash-pipeline.js";

const child = join(import.meta.dirname, "fixtures", "crash-child.ts");
const root = tempDir();

describe("resume after the running process is killed", () => {
  it("finishes the run after SIGKILL mid-step without running a completed step again", async () => {
    const dir = join(root, "ws");
    const markers = join(root, "markers.txt");
    const proc = spawn(process.execPath, ["--import", "tsx", child, dir, markers], {
      env: { ...process.env, MLCYCLE_CRASH_HANG: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    proc.stderr.on("data", (d) => {
      err += String(d);
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      proc.on("exit", (code, signal) => resolve(signal ?? code)),
    );
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (d) => {
        out += String(d);
        if (out.includes("ENTER slow")) resolve();
      });
      exited.then(() => reject(new Error(`child exited early: ${out}\n${err}`)));
    });
    proc.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const runId = /RUN (\S+)/.exec(out)![1]!;
    expect(readFileSync(markers, "utf8")).toBe("a\nslow\n");

    await using ws = await openWorkspace(dir);
    const before = await ws.pipelines.get(runId);
    expect(before.run.status).toBe("running");
    expect(Object.fromEntries(before.steps.map((s) => [s.step, s.status]))).toEqual({
      a: "succeeded",
      slow: "running",
    });

    const p = crashPipeline(markers);
    // Until the killed driver's lease expires, a resume is refused as a second driver.
    const expiresAt = before.run.lease!.expiresAt;
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 20));
    const result = await ws.pipelines.resume(p, runId);
    expect(result.status).toBe("succeeded");
    expect(result.outputs.c).toBe("total=10");
    expect(Object.fromEntries(Object.values(result.steps).map((s) => [s.step, s.status]))).toEqual({
      a: "succeeded",
      slow: "succeeded",
      c: "succeeded",
    });
    // "a" completed before the kill and did not run again; "slow" ran once more; "c" once.
    expect(readFileSync(markers, "utf8")).toBe("a\nslow\nslow\nc\n");
    expect((await ws.pipelines.get(runId)).run.status).toBe("succeeded");
  });
});
