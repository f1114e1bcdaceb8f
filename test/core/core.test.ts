import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  createWorkspace,
  EventBus,
  hashValue,
  MlcycleError,
  newId,
  openWorkspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

describe("canonical JSON and hashing", () => {
  it("is stable under key order at every depth", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(hashValue({ x: { p: 1, q: [1, 2] }, y: "s" })).toBe(hashValue({ y: "s", x: { q: [1, 2], p: 1 } }));
    expect(hashValue([1, 2])).not.toBe(hashValue([2, 1]));
  });
  it("distinguishes values JSON would merge", () => {
    expect(hashValue(Number.NaN)).not.toBe(hashValue(null));
    expect(hashValue(Number.POSITIVE_INFINITY)).not.toBe(hashValue(Number.NEGATIVE_INFINITY));
    expect(hashValue(new Date(0))).not.toBe(hashValue("1970-01-01T00:00:00.000Z"));
    expect(hashValue(new Float64Array([1, 2]))).not.toBe(hashValue(new Float64Array([1, 3])));
    expect(hashValue({ a: undefined })).toBe(hashValue({}));
  });
  it("rejects cycles", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/cycle/);
  });
});

describe("ids and errors", () => {
  it("makes sortable unique ids", () => {
    const ids = Array.from({ length: 1000 }, () => newId());
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });
  it("carries a code, issues and a cause", () => {
    const cause = new Error("root");
    const e = new MlcycleError("VALIDATION", "bad", { cause, issues: [{ code: "x", path: ["a"], message: "m" }] });
    expect(e.code).toBe("VALIDATION");
    expect(e.cause).toBe(cause);
    expect(e.issues[0]?.path).toEqual(["a"]);
  });
});

describe("events", () => {
  it("a throwing listener does not break the emitter", () => {
    const bus = new EventBus<{ x: number }>();
    const seen: unknown[] = [];
    const errors: unknown[] = [];
    bus.onListenerError((e) => errors.push(e));
    bus.on("x", () => {
      throw new Error("listener bug");
    });
    bus.on("x", (p) => seen.push(p));
    bus.emit("x", 1);
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
  });
});

describe("workspaces", () => {
  it("two workspaces in one process share nothing", async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    await a.lineage.recordArtifact({ type: "dataset", name: "only-in-a" });
    expect(await b.lineage.list({ type: "dataset" })).toEqual([]);
    expect(a.events).not.toBe(b.events);
    await a.close();
    await a.close();
    await b.close();
  });
  it("openWorkspace keeps data across reopen", async () => {
    const dir = tempDir();
    const ws = await openWorkspace(dir);
    const { digest } = await ws.artifacts.put("kept");
    await ws.lineage.recordArtifact({ type: "dataset", name: "kept", digest });
    await ws.close();
    const again = await openWorkspace(dir);
    expect((await again.lineage.list({ digest }))[0]?.name).toBe("kept");
    expect(Buffer.from(await again.artifacts.get(digest)).toString()).toBe("kept");
    await again.close();
  });
});

describe("fromZodError", () => {
  it("keeps zod's per-code fields in each issue and leaves the input out", async () => {
    const { z } = await import("zod");
    const { fromZodError } = await import("../../src/core/errors.js");
    const r = z.object({ n: z.number().min(3), s: z.string() }).safeParse({ n: 1, s: 5 });
    if (r.success) throw new Error("expected a failure");
    const e = fromZodError(r.error, "thing");
    expect(e.code).toBe("VALIDATION");
    const tooSmall = e.issues.find((i) => i.code === "too_small");
    expect(tooSmall).toMatchObject({ path: ["n"], minimum: 3, inclusive: true, origin: "number" });
    const wrongType = e.issues.find((i) => i.code === "invalid_type");
    expect(wrongType).toMatchObject({ path: ["s"], expected: "string" });
    expect(wrongType).not.toHaveProperty("input");
  });
});

describe("workspace options", () => {
  // Regression: openWorkspace(5) made a folder named "5"; a bad clock or busy timeout reached the driver.
  it("refuses a wrong folder, store, clock or busy timeout with VALIDATION before opening anything", async () => {
    const { createWorkspace, openWorkspace, isMlcycleError } = await import("../../src/index.js");
    const refused = (e: unknown) => isMlcycleError(e, "VALIDATION");
    await expect(openWorkspace(5 as never)).rejects.toSatisfy(refused);
    await expect(openWorkspace("")).rejects.toSatisfy(refused);
    await expect(openWorkspace("./never-opened", { busyTimeoutMs: -5 })).rejects.toSatisfy(refused);
    await expect(openWorkspace("./never-opened", { busyTimeoutMs: 1.5 })).rejects.toSatisfy(refused);
    await expect(createWorkspace(5 as never)).rejects.toSatisfy(refused);
    await expect(createWorkspace({ clock: 5 as never })).rejects.toThrow(/clock/);
    await expect(createWorkspace({ metadata: 5 as never })).rejects.toThrow(/metadata/);
    const { existsSync } = await import("node:fs");
    expect(existsSync("./never-opened")).toBe(false);
  });
});
