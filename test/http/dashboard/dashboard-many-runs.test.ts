// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees on the page, which these tests check
// A workspace of 10,000 runs in the dashboard, in headless Chromium: the runs page reads them 1,000 at
// a time and renders 100 rows at a time, so the page stays small whatever the workspace holds;
// "load more" fetches the next 1,000, the pager walks them, and sorting reorders all that was read.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openWorkspace } from "../../../src/index.js";
import { tempDir } from "../../helpers.js";
import { type BrowserSession, hasChromium, openDashboard } from "./browser-harness.js";

const RUNS = 10_000;

describe.skipIf(!hasChromium)("the dashboard over 10,000 runs", { timeout: 300_000 }, () => {
  let session: BrowserSession;

  beforeAll(async () => {
    const folder = join(tempDir("mlcycle-many-runs-"), "ws");
    const ws = await openWorkspace(folder);
    for (let i = 0; i < RUNS; i++) {
      const run = await ws.experiments.startRun({
        experiment: i % 2 ? "many-a" : "many-b",
        name: `run-${String(i).padStart(5, "0")}`,
        params: { depth: i % 10 },
      });
      run.logMetrics({ score: (i * 7919) % 10_007 });
      await run.end();
    }
    await ws.close();
    session = await openDashboard(folder);
  }, 300_000);

  afterAll(async () => {
    await session?.close();
  });

  it("shows a page of 100 rows of the first 1,000, loads 1,000 more on demand, pages and sorts", async () => {
    const { page, url } = session;
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${url}#/runs`);
    const table = page.getByTestId("runs");
    const count = page.getByTestId("runs-count");
    await expect.poll(() => count.innerText(), { timeout: 30_000 }).toMatch(/^1000\+ runs/);
    // Only one page of rows is in the document, whatever was read.
    expect(await table.locator("tbody tr").count()).toBe(100);
    expect(await page.locator(".pager span").innerText()).toBe("page 1 of 10 (1000 rows)");

    const names = () => table.locator("tbody tr td:nth-child(2)").allInnerTexts();
    const first = await names();
    await page.getByTestId("load-more").click();
    await expect.poll(() => count.innerText(), { timeout: 30_000 }).toMatch(/^2000\+ runs/);
    expect(await page.locator(".pager span").innerText()).toBe("page 1 of 20 (2000 rows)");
    expect(await table.locator("tbody tr").count()).toBe(100);

    // The last page holds runs of the second read, none of them among the first page's.
    await page.locator(".pager button", { hasText: "next" }).click();
    expect(await page.locator(".pager span").innerText()).toBe("page 2 of 20 (2000 rows)");
    for (let i = 2; i < 20; i++) await page.locator(".pager button", { hasText: "next" }).click();
    expect(await page.locator(".pager span").innerText()).toBe("page 20 of 20 (2000 rows)");
    const last = await names();
    expect(last).toHaveLength(100);
    expect(last.filter((n) => first.includes(n))).toEqual([]);

    // Sorting by score (twice: descending) orders all 2,000 rows read and starts at the first page:
    // its first score is at least any of the last page's before the sort.
    const headings = await table.locator("th").allInnerTexts();
    const column = headings.findIndex((h) => h.trim().startsWith("score")) + 1;
    expect(column).toBeGreaterThan(0);
    const scoresShown = async () =>
      (await table.locator(`tbody tr td:nth-child(${column})`).allInnerTexts()).map(Number);
    const before = await scoresShown();
    const heading = table.locator("th", { hasText: "score" });
    await heading.click();
    await heading.click();
    expect(await page.locator(".pager span").innerText()).toBe("page 1 of 20 (2000 rows)");
    const scores = await scoresShown();
    expect(scores).toHaveLength(100);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(new Set(scores).size).toBe(100);
    expect(scores[0]).toBeGreaterThanOrEqual(Math.max(...before));
    expect(errors).toEqual([]);
  });
});
