// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees on the page, which these tests check
// The dashboard's writes and what the demo workspace lacks, in headless Chromium: `mlcycle ui --writes
// --actor ana` over a small workspace with a model of two versions (one with a model card) and an A/B
// test with feedback; promote and roll back clicked on the model's page, the alias and the audit trail
// checked afterwards; the card rendered as headings, a list and a table; the online experiment's
// variants, traffic split and analysis on the deployments page.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { functionModel, manualClock, type OnlineAnalysis, openWorkspace } from "../../../src/index.js";
import { tempDir } from "../../helpers.js";
import { type BrowserSession, hasChromium, openDashboard } from "./browser-harness.js";

const CARD = [
  "# Discount model",
  "Offers a **discount** on a basket, as `rate × basket`.",
  "## Intended use",
  "- checkout pages",
  "- not for *wholesale* orders",
  "| metric | value |",
  "| --- | --- |",
  "| conversion | 0.14 |",
].join("\n");

/** Park–Miller: the simulated users behave the same on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

describe.skipIf(!hasChromium)(
  "the dashboard's writes, a model card and an online experiment in Chromium",
  {
    timeout: 180_000,
  },
  () => {
    let session: BrowserSession;
    let page: Page;
    let url = "";
    const errors: string[] = [];
    /** The analysis of `outcome` (a mean, the page's default type) as the library gives it. */
    let expected: OnlineAnalysis;

    beforeAll(async () => {
      const folder = join(tempDir("mlcycle-writes-"), "ws");
      const ws = await openWorkspace(folder, { clock: manualClock(Date.UTC(2025, 0, 1)) });
      ws.registry.registerFunction(
        "discount",
        (s: { rate: number }) => (rows: number[][]) => rows.map(([basket]) => Math.round(basket * s.rate * 100) / 100),
      );
      const signature = { inputs: z.array(z.tuple([z.number()])).min(1), outputs: z.array(z.number()) };
      await ws.registry.register("discount", { model: functionModel("discount", { rate: 0.05 }), signature });
      await ws.registry.register("discount", {
        model: functionModel("discount", { rate: 0.08 }),
        signature,
        modelCard: CARD,
      });
      await ws.registry.setAlias("discount", "champion", 1, { actor: "lead", reason: "first model" });
      const ab = await ws.online.split("discount-ab", {
        variants: [
          { name: "control", ref: "discount@champion", weight: 70 },
          { name: "treatment", ref: "discount@2", weight: 30 },
        ],
        actor: "lead",
        reason: "does 8% convert better than 5%?",
      });
      const behave = random(11);
      for (let i = 0; i < 400; i++) {
        const basket = 20 + 80 * behave();
        const p = await ab.predict([[basket]], { unit: `user-${i}` });
        const converted = behave() < 0.1 + 1.33 * (p.outputs[0] / basket - 0.05) ? 1 : 0;
        await ab.feedback(p.predictionId, { outcome: converted });
      }
      expected = JSON.parse(
        JSON.stringify(await ws.online.analyze("discount-ab", { metric: "outcome", type: "mean" })),
      );
      await ws.close();
      session = await openDashboard(folder, ["--writes", "--actor", "ana"]);
      ({ page, url } = session);
      page.on("pageerror", (e) => errors.push(e.message));
    }, 180_000);

    afterAll(async () => {
      await session?.close();
    });

    it("promotes a version and rolls back from the model's page: the alias moves and the audit trail names ana", async () => {
      await page.goto(`${url}#/models/discount`);
      const aliases = page.getByTestId("aliases");
      await expect.poll(() => aliases.locator("tbody tr").innerText()).toMatch(/champion\s+1/);
      // Once the buttons are there, no "read-only" note (it waits for the server's answer to /api/info).
      await expect.poll(() => aliases.getByRole("button", { name: "roll back" }).count()).toBe(1);
      expect(await page.getByTestId("read-only").count()).toBe(0);

      // Promote: version 2's row offers "make champion" (version 1's, already champion, does not).
      const versions = page.getByTestId("versions");
      expect(await versions.locator("tr", { hasText: "v1" }).locator("button").count()).toBe(0);
      await versions.locator("tr", { hasText: "v2" }).getByRole("button", { name: "make champion" }).click();
      await expect.poll(() => aliases.locator("tbody tr").innerText()).toMatch(/champion\s+2/);
      await expect.poll(() => page.getByRole("status").innerText()).toBe("done");
      const audit = page.getByTestId("audit");
      await expect.poll(() => audit.locator("tbody tr").count()).toBe(2);
      const promoted = await audit.locator("tbody tr", { hasText: "1 → 2" }).innerText();
      expect(promoted).toContain("champion");
      expect(promoted).toContain("ana");
      // The version table shows the alias on its new version, and the button moved to version 1.
      expect(await versions.locator("tr", { hasText: "v2" }).innerText()).toContain("champion");
      await expect
        .poll(() => versions.locator("tr", { hasText: "v1" }).getByRole("button", { name: "make champion" }).count())
        .toBe(1);

      // Roll back: champion returns to version 1, recorded as ana's rollback.
      await aliases.getByRole("button", { name: "roll back" }).click();
      await expect.poll(() => aliases.locator("tbody tr").innerText()).toMatch(/champion\s+1/);
      await expect.poll(() => audit.locator("tbody tr").count()).toBe(3);
      const rolledBack = await audit.locator("tbody tr", { hasText: "2 → 1" }).innerText();
      expect(rolledBack).toContain("rollback");
      expect(rolledBack).toContain("ana");
      // The first move stays as it was, by its own actor.
      expect(await audit.innerText()).toContain("lead");

      // The moves are the registry's: a fresh load shows the same.
      await page.reload();
      await expect.poll(() => aliases.locator("tbody tr").innerText()).toMatch(/champion\s+1/);
      expect(await audit.locator("tbody tr").count()).toBe(3);
    });

    it("renders version 2's model card: headings, emphasis, code, a list and a table", async () => {
      await page.goto(`${url}#/models/discount?version=2`);
      const version = page.getByTestId("version");
      await expect.poll(() => version.locator("h2").first().innerText()).toBe("Version 2");
      const title = version.getByRole("heading", { name: "Discount model" });
      await expect.poll(() => title.count()).toBe(1);
      expect(await title.getAttribute("aria-level")).toBe("3");
      expect(await version.getByRole("heading", { name: "Intended use" }).getAttribute("aria-level")).toBe("4");
      expect(await version.locator("strong", { hasText: "discount" }).count()).toBe(1);
      expect(await version.locator("code", { hasText: "rate × basket" }).count()).toBe(1);
      expect(await version.locator("li").allInnerTexts()).toEqual(["checkout pages", "not for wholesale orders"]);
      expect(await version.locator("li em").innerText()).toBe("wholesale");
      const table = version.locator("table.md-table");
      expect(await table.locator("th").allInnerTexts()).toEqual(["metric", "value"]);
      expect(await table.locator("tbody td").allInnerTexts()).toEqual(["conversion", "0.14"]);
      // The markdown source is not shown as text.
      expect(await version.innerText()).not.toContain("# Discount model");

      // Version 1 has none.
      await page.goto(`${url}#/models/discount?version=1`);
      await expect.poll(() => version.locator("h2").first().innerText()).toBe("Version 1");
      await expect.poll(() => version.innerText()).toContain("no model card");
    });

    it("shows the online experiment: variants, the traffic split, the analysis of a metric", async () => {
      await page.goto(`${url}#/deployments`);
      const table = page.getByTestId("deployments");
      await expect.poll(() => table.innerText()).toContain("discount-ab");
      const traffic = await table.innerText();
      // By version and variant: control served version 1 (champion), treatment version 2.
      const share = (key: string) => Number(new RegExp(`${key.replace(/[()]/g, "\\$&")}: (\\d+)%`).exec(traffic)?.[1]);
      expect(share("discount@1 (control)") + share("discount@2 (treatment)")).toBeGreaterThanOrEqual(99);
      expect(share("discount@1 (control)")).toBeGreaterThan(55);
      expect(share("discount@1 (control)")).toBeLessThan(85);
      expect(traffic).toContain("last 400 (all) predictions");

      await page.getByRole("link", { name: "discount-ab" }).click();
      const panel = page.getByTestId("experiment");
      await expect.poll(() => panel.isVisible()).toBe(true);
      const rows = await panel.locator("table").first().locator("tbody tr").allInnerTexts();
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatch(/control\s+discount@champion\s+70/);
      expect(rows[1]).toMatch(/treatment\s+discount@2\s+30/);
      expect(await panel.innerText()).toContain("does 8% convert better than 5%?");

      await panel.getByRole("button", { name: "analyse" }).click();
      const analysis = panel.locator("pre");
      await expect.poll(() => analysis.count()).toBe(1);
      // The page shows the workspace's analysis of the metric asked for: every call counted, per variant.
      const shown = JSON.parse(await analysis.innerText()) as OnlineAnalysis;
      expect(shown).toEqual(expected);
      expect(shown.metric).toBe("outcome");
      expect(shown.control).toBe("control");
      expect(shown.variants.map((v) => v.variant)).toEqual(["control", "treatment"]);
      expect(shown.variants.reduce((sum, v) => sum + v.exposures, 0)).toBe(400);
      expect(shown.comparisons.map((c) => c.variant)).toEqual(["treatment"]);
      expect(errors).toEqual([]);
    });
  },
);
