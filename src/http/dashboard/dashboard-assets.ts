import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MlcycleError } from "../../index.js";

/** The browser bundle of the dashboard: its script and stylesheet, as `tsup` builds them into `dist/ui`. */
export interface DashboardAssets {
  script: string;
  style: string;
}

let cached: DashboardAssets | undefined;

/**
 * Reads the bundle once: next to the module in `dist` (`dist/ui/` beside `dist/http.js`), or in the
 * package's `dist/ui/` when running from the sources. `UNAVAILABLE` when it was not built.
 */
export function dashboardAssets(): DashboardAssets {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "ui"), join(here, "..", "..", "..", "dist", "ui")];
  for (const dir of candidates) {
    try {
      cached = {
        script: readFileSync(join(dir, "app.js"), "utf8"),
        style: readFileSync(join(dir, "app.css"), "utf8"),
      };
      return cached;
    } catch {
      // Not in this folder: try the next.
    }
  }
  throw new MlcycleError(
    "UNAVAILABLE",
    `the dashboard's browser bundle is not built (looked in ${candidates.join(", ")}): run npx tsup`,
  );
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch);

/**
 * The page that loads the bundle. It finds the bundle and the API from its own address (the path it
 * was opened at), so that it works wherever the handler is mounted — under a `basePath`, or by a host
 * that strips its mount path (Express's `app.use("/mlcycle", …)`, Hono's `mount`).
 */
export function indexHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<script type="module">
const base = location.pathname.replace(/\\/+$/, "");
const css = document.createElement("link");
css.rel = "stylesheet";
css.href = base + "/assets/app.css";
document.head.append(css);
document.getElementById("app").dataset.base = base;
import(base + "/assets/app.js");
</script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;
}
