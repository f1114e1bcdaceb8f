import { describe, expect, it } from "vitest";
import { createWorkspace, memoryBackend, openWorkspace, type Workspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";

const N = 60_000;

/** 60,000 points out of step order, with ties on (step, timestamp) and the values JSON loses. */
async function logHistory(ws: Workspace, experiment: string): Promise<string> {
  const special = [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  return ws.experiments.withRun({ experiment }, async (run) => {
    for (let i = 0; i < N; i++) {
      const step = (i * 7919) % 20_000;
      const value = i % 1000 < 4 ? special[i % 1000]! : Math.sin(i);
      const pending = run.logMetric("m", value, { step, timestamp: 1_000 + (i % 3) });
      if (pending) await pending;
    }
    await run.logMetric("other", 1, { step: 0 });
    return run.id;
  });
}

async function pageAll(ws: Workspace, runId: string, maxResults?: number) {
  const pages = [];
  let pageToken: string | undefined;
  do {
    const page = await ws.experiments.metricHistoryPage(runId, "m", {
      ...(maxResults === undefined ? {} : { maxResults }),
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    pages.push(page.points);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return pages;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["SQLite", () => openWorkspace(tempDir())],
];

describe.each(workspaces)("ws.experiments.metricHistoryPage on %s", (_name, open) => {
  it("pages 60,000 points by 25,000 into exactly metricHistory's answer", { timeout: 60_000 }, async () => {
    await using ws = await open();
    const runId = await logHistory(ws, "pages");
    const full = await ws.experiments.metricHistory(runId, "m");
    expect(full).toHaveLength(N);
    const pages = await pageAll(ws, runId, 25_000);
    expect(pages.map((p) => p.length)).toEqual([25_000, 25_000, 10_000]);
    const joined = pages.flat();
    // toEqual tells -0 from 0 and NaN equals NaN, so the encoding round-trips exactly.
    expect(joined).toEqual(full);
    expect(joined.filter((p) => Object.is(p.value, -0))).toHaveLength(
      full.filter((p) => Object.is(p.value, -0)).length,
    );
    // The default page is 25,000 points too.
    expect((await pageAll(ws, runId)).map((p) => p.length)).toEqual([25_000, 25_000, 10_000]);
  });

  it("ends without a token on an exact last page, and gives an empty page for a key never logged", async () => {
    await using ws = await open();
    const runId = await ws.experiments.withRun({ experiment: "small" }, async (run) => {
      for (let step = 0; step < 4; step++) await run.logMetric("m", step, { step });
      return run.id;
    });
    const first = await ws.experiments.metricHistoryPage(runId, "m", { maxResults: 2 });
    expect(first.points.map((p) => p.step)).toEqual([0, 1]);
    const second = await ws.experiments.metricHistoryPage(runId, "m", {
      maxResults: 2,
      pageToken: first.nextPageToken,
    });
    expect(second.points.map((p) => p.step)).toEqual([2, 3]);
    expect(second.nextPageToken).toBeUndefined();
    expect(await ws.experiments.metricHistoryPage(runId, "never")).toEqual({ points: [] });
    expect(await codeOf(ws.experiments.metricHistoryPage("no-such-run", "m"))).toBe("NOT_FOUND");
  });

  it("refuses a token of another run or key, and a bad maxResults, with VALIDATION", async () => {
    await using ws = await open();
    const ids = [];
    for (const name of ["a", "b"])
      ids.push(
        await ws.experiments.withRun({ experiment: "tokens", name }, async (run) => {
          for (let step = 0; step < 3; step++) {
            await run.logMetric("m", step, { step });
            await run.logMetric("k", step, { step });
          }
          return run.id;
        }),
      );
    const [a, b] = ids as [string, string];
    const { nextPageToken } = await ws.experiments.metricHistoryPage(a, "m", { maxResults: 1 });
    expect(nextPageToken).toBeDefined();
    await expect(ws.experiments.metricHistoryPage(b, "m", { pageToken: nextPageToken })).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(/pageToken/),
    });
    expect(await codeOf(ws.experiments.metricHistoryPage(a, "k", { pageToken: nextPageToken }))).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.metricHistoryPage(a, "m", { pageToken: "garbage!" }))).toBe("VALIDATION");
    // A search token is not a metric history token.
    const search = await ws.experiments.searchRuns({ maxResults: 1 });
    expect(await codeOf(ws.experiments.metricHistoryPage(a, "m", { pageToken: search.nextPageToken }))).toBe(
      "VALIDATION",
    );
    for (const maxResults of [0, -1, 1.5, 25_001, Number.NaN, "10"])
      await expect(ws.experiments.metricHistoryPage(a, "m", { maxResults } as never)).rejects.toMatchObject({
        code: "VALIDATION",
        message: expect.stringMatching(/maxResults/),
      });
    expect(await codeOf(ws.experiments.metricHistoryPage(a, "m", { extra: 1 } as never))).toBe("VALIDATION");
    expect((await ws.experiments.metricHistoryPage(a, "m", { maxResults: 25_000 })).points).toHaveLength(3);
  });
});

describe("ws.experiments.metricHistoryPage on a store without metricHistoryPage", () => {
  it("slices the full history in tracking, with the same pages", async () => {
    const backend = memoryBackend();
    (backend.metadata.tracking as { metricHistoryPage?: unknown }).metricHistoryPage = undefined;
    await using ws = await createWorkspace(backend);
    const runId = await ws.experiments.withRun({ experiment: "fallback" }, async (run) => {
      for (let i = 0; i < 10; i++) await run.logMetric("m", i % 2 ? -0 : Number.NaN, { step: 9 - i });
      return run.id;
    });
    const full = await ws.experiments.metricHistory(runId, "m");
    const pages = await pageAll(ws, runId, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
    expect(pages.flat()).toEqual(full);
  });
});
