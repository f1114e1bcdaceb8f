// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees on the page, which these tests check
// The dashboard end to end in headless Chromium (Debian's package, driven by playwright-core): `mlcycle
// ui` over the workspace the demo built, every page clicked through and checked for what a person
// sees — run names in the table, a filter error under its position, charts drawn on canvas, the
// pipeline graph with its steps, the audit trail, an alert listed — with screenshots for the docs.
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, hasChromium, openDashboard } from "./browser-harness.js";
import { demoWorkspace } from "./demo-workspace.js";

/**
 * Where the screenshots go: docs/images (the docs and README show them) with
 * MLCYCLE_UPDATE_SCREENSHOTS=1, otherwise a temporary folder, so that a test run leaves the
 * repository as it was (ids and times differ from run to run).
 */
const IMAGES =
  process.env.MLCYCLE_UPDATE_SCREENSHOTS === "1"
    ? join(import.meta.dirname, "..", "..", "..", "docs", "images")
    : join(tmpdir(), `mlcycle-screenshots-${process.pid}`);

/** Whether a canvas holds drawn pixels (uPlot draws its lines there). */
const canvasDrawn = (page: Page, selector: string) =>
  page.$$eval(selector, (canvases) =>
    canvases.map((c) => {
      // A canvas, typed by what is read of it (the tests compile without the DOM library).
      const canvas = c as unknown as {
        width: number;
        height: number;
        getContext(
          kind: "2d",
        ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
      };
      const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
      return painted;
    }),
  );

describe.skipIf(!hasChromium)("the dashboard in Chromium", { timeout: 180_000 }, () => {
  let session: BrowserSession;
  let url = "";
  let page: Page;

  beforeAll(async () => {
    session = await openDashboard(await demoWorkspace());
    ({ url, page } = session);
    mkdirSync(IMAGES, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    if (process.env.MLCYCLE_UPDATE_SCREENSHOTS !== "1") rmSync(IMAGES, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(IMAGES, `${name}.png`), fullPage: true });
  const errors: string[] = [];

  it("experiments and runs: the table, sorting, a filter error under its position, a filter, a run's charts", async () => {
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    const table = page.getByTestId("runs");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(6);
    const names = await table.locator("tbody tr td:nth-child(2)").allInnerTexts();
    expect(names.filter((n) => n === "publish")).toHaveLength(2);
    expect(names.filter((n) => n.startsWith("churn-train "))).toHaveLength(2);
    await shot("runs");

    // Sorting by accuracy_score: the better publish run first when descending.
    const heading = table.locator("th", { hasText: "accuracy_score" });
    await heading.click();
    await heading.click();
    const first = await table.locator("tbody tr").first().innerText();
    expect(first).toContain("0.9533");

    await page.fill("input[name=filter]", "metrics.accuracy_score >> 1");
    await page.click("button[type=submit]");
    const error = page.getByTestId("filter-error");
    await expect.poll(() => error.isVisible()).toBe(true);
    const caret = await error.locator("pre").innerText();
    const [source, marks] = caret.split("\n");
    expect(source).toBe("metrics.accuracy_score >> 1");
    expect(marks.indexOf("^")).toBe(source.indexOf(">> 1") + 1);
    await shot("runs-filter-error");

    await page.fill("input[name=filter]", "metrics.accuracy_score > 0.9");
    await page.click("button[type=submit]");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(1);

    await table.locator("a", { hasText: "publish" }).click();
    await expect.poll(() => page.locator("h1").innerText()).toContain("publish");
    await expect.poll(async () => (await page.$$(".chart canvas")).length).toBeGreaterThan(0);
    expect((await canvasDrawn(page, ".chart canvas"))[0]).toBeGreaterThan(500);
    expect(await page.locator("main").innerText()).toContain("accuracy_score");
    await shot("run");
  });

  it("compares two runs side by side", async () => {
    await page.goto(`${url}#/runs`);
    const table = page.getByTestId("runs");
    await page.fill("input[name=filter]", "attributes.run_name = 'publish'");
    await page.click("button[type=submit]");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(2);
    for (const box of await table.locator("tbody input[type=checkbox]").all()) await box.check();
    await page.getByTestId("compare").click();
    const metrics = page.getByTestId("compare-metrics");
    await expect.poll(() => metrics.isVisible()).toBe(true);
    const row = await metrics.locator("tr", { hasText: "accuracy_score" }).innerText();
    expect(row).toContain("0.9533");
    expect(row).toContain("0.8067");
    await expect.poll(async () => (await canvasDrawn(page, ".chart canvas")).length).toBeGreaterThan(0);
    await shot("compare");
  });

  it("pipelines: runs, then a run's graph laid out with its steps, their status and the cache decision", async () => {
    await page.click("header >> text=Pipelines");
    const runs = page.getByTestId("pipeline-runs");
    await expect.poll(() => runs.locator("tbody tr").count()).toBe(2);
    expect(await runs.innerText()).toContain("event:monitor.alert");
    await runs.locator("tbody tr").first().locator("a").click();
    const graph = page.getByTestId("graph");
    await expect.poll(() => graph.isVisible()).toBe(true);
    const nodes = await graph.locator("g.node").evaluateAll((gs) => gs.map((g) => g.getAttribute("data-node")));
    expect(nodes.sort()).toEqual(["data", "publish", "train"]);
    expect(await graph.locator("path.edge").count()).toBe(3);
    // Laid out left to right: data before train before publish.
    const x = async (name: string) => (await graph.locator(`g[data-node=${name}] rect`).boundingBox())?.x ?? 0;
    expect(await x("data")).toBeLessThan(await x("train"));
    expect(await x("train")).toBeLessThan(await x("publish"));
    expect(await page.getByTestId("steps").innerText()).toContain("succeeded");
    await graph.locator("g[data-node=train]").click();
    await expect.poll(() => page.getByTestId("cache-why").innerText()).toContain("cache miss");
    await shot("pipeline-run");
  });

  it("registry: aliases, the audit trail naming the alert, the version's evaluations and lineage", async () => {
    await page.click("header >> text=Registry");
    await page.getByTestId("models").locator("a", { hasText: "churn" }).click();
    await expect.poll(() => page.getByTestId("aliases").innerText()).toContain("champion");
    const audit = await page.getByTestId("audit").innerText();
    expect(audit).toContain("set 1 → 2");
    expect(audit).toContain("monitor alert");
    const version = page.getByTestId("version");
    await expect.poll(() => version.locator("h2").first().innerText()).toBe("Version 2");
    await expect.poll(() => version.getByTestId("evaluations").innerText()).toContain("passed");
    const lineage = await version.getByTestId("graph").locator("g.node text.label").allTextContents();
    expect(lineage).toEqual(expect.arrayContaining(["model_version", "step_run", "feature_view"]));
    // Read-only (mlcycle ui without --writes): no button offers a write, and the page says so.
    await expect.poll(() => page.getByTestId("read-only").isVisible()).toBe(true);
    expect(await page.locator("main button").count()).toBe(0);
    await shot("model");
  });

  it("features: entities, views with online freshness, a view's statistics", async () => {
    await page.click("header >> text=Features");
    await expect.poll(() => page.getByTestId("entities").innerText()).toContain("customer_id: int");
    const views = page.getByTestId("views");
    expect(await views.innerText()).toContain("customer_activity");
    await views.locator("a", { hasText: "customer_activity" }).click();
    await expect.poll(() => page.getByTestId("statistics").innerText()).toContain("spend_30d");
    await shot("features");
  });

  it("deployments: the traffic by version", async () => {
    await page.click("header >> text=Deployments");
    const table = page.getByTestId("deployments");
    await expect.poll(() => table.innerText()).toContain("churn@1: 75%");
    expect(await table.innerText()).toContain("churn@2: 25%");
    await shot("deployments");
  });

  it("monitors: the alert listed, drift per column over time drawn", async () => {
    await page.click("header >> text=Monitors");
    const alerts = page.getByTestId("alerts");
    await expect.poll(() => alerts.innerText()).toContain("drift");
    expect(await alerts.innerText()).toContain("critical");
    expect(await alerts.innerText()).toContain("dataset_drift = 1");
    await page.getByTestId("monitors").locator("a", { hasText: "churn" }).click();
    await expect.poll(async () => (await canvasDrawn(page, ".chart canvas")).length).toBeGreaterThanOrEqual(2);
    const painted = await canvasDrawn(page, ".chart canvas");
    expect(painted.every((p) => p > 500)).toBe(true);
    expect(await page.locator(".chart").first().innerText()).toContain("sessions_7d");
    await shot("monitor");
    expect(errors).toEqual([]);
  });
});
