// Headless Chromium (Debian's package, driven by playwright-core) over `mlcycle ui` on a workspace
// folder: what the dashboard's browser tests share.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { spawnCli } from "../../cli/run-cli.js";
import { tempDir } from "../../helpers.js";

export const CHROMIUM = "/usr/bin/chromium";
/** Without Chromium the suites skip, unless services are required (CI, where .ci/run installs it). */
export const hasChromium = existsSync(CHROMIUM) || process.env.MLCYCLE_REQUIRE_SERVICES === "1";

/** `mlcycle ui` on a workspace and a fresh Chromium profile with a page open; `close` ends both. */
export interface BrowserSession {
  url: string;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Starts `mlcycle ui --port 0` on `workspace` (with `args` after, e.g. `["--writes", "--actor", "ana"]`),
 * waits for its address, and opens Chromium.
 */
export async function openDashboard(workspace: string, args: string[] = []): Promise<BrowserSession> {
  const ui = spawnCli(["ui", "--port", "0", "--workspace", workspace, ...args], { cwd: tempDir("mlcycle-ui-") });
  let out = "";
  ui.stdout.on("data", (d) => (out += d));
  ui.stderr.on("data", (d) => (out += d));
  for (let i = 0; i < 800 && !/listening on (http:\/\/\S+)/.test(out); i++) {
    if (ui.exitCode !== null) throw new Error(`mlcycle ui exited: ${out}`);
    await sleep(25);
  }
  const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? "";
  expect(url, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const userData = mkdtempSync(join(tmpdir(), "mlcycle-chromium-"));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    url,
    context,
    page,
    async close() {
      await context.close();
      if (ui.exitCode === null) {
        ui.kill("SIGTERM");
        await new Promise((resolve) => ui.once("close", resolve));
      }
      rmSync(userData, { recursive: true, force: true });
    },
  };
}
