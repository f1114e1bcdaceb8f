import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";

const require = createRequire(import.meta.url);
const config = require("../../.dependency-cruiser.cjs") as { forbidden: unknown[]; options: Record<string, unknown> };

/** Cruises a small tree laid out like src/ with the project's own rules; returns the broken rule names. */
async function violations(files: Record<string, string>): Promise<string[]> {
  const root = tempDir("mlcycle-layers-");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  symlinkSync(join(process.cwd(), "node_modules"), join(root, "node_modules"), "dir");
  writeFileSync(join(root, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", strict: true } }));
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const out = await cruise(["src"], {
      ...config.options,
      ruleSet: { forbidden: config.forbidden },
      validate: true,
    } as never);
    const result = out.output as ICruiseResult;
    return [...new Set(result.summary.violations.map((v) => v.rule.name))].sort();
  } finally {
    process.chdir(cwd);
  }
}

describe("the layer check run by lint", () => {
  it("passes a tree that keeps the layers", async () => {
    expect(
      await violations({
        "src/core/errors.ts": "export class E extends Error {}\n",
        "src/stores/thing-store.ts": 'import { E } from "../core/errors.js";\nexport const e = E;\n',
        "src/lineage/lineage.ts": 'import { e } from "../stores/thing-store.js";\nexport const l = e;\n',
        "src/registry/registry.ts": 'import { l } from "../lineage/lineage.js";\nexport const r = l;\n',
        "src/adapters/x/x.ts": 'import { e } from "../../stores/thing-store.js";\nexport const x = e;\n',
      }),
    ).toEqual([]);
  });

  it("fails on each kind of crossing", async () => {
    expect(
      await violations({
        "src/core/errors.ts": 'import { t } from "../tracking/t.js";\nexport const c = t;\n',
        "src/tracking/t.ts": 'import type { W } from "../workspace.js";\nexport const t = 1 as unknown as W;\n',
        "src/workspace.ts": 'import { t } from "./tracking/t.js";\nexport type W = typeof t;\n',
        "src/lineage/l.ts": 'import { r } from "../registry/r.js";\nexport const l = r;\n',
        "src/registry/r.ts": 'import { q } from "./q.js";\nexport const r = 1;\nexport const rq = () => q;\n',
        "src/registry/q.ts": 'import { r } from "./r.js";\nexport const q = () => r;\n',
        "src/stores/p.ts": 'import { r } from "../registry/r.js";\nexport const p = r;\n',
        "src/adapters/y/y.ts": 'import { r } from "../../registry/r.js";\nexport const y = r;\n',
        "src/testing/s.ts": 'import { r } from "../registry/r.js";\nexport const s = r;\n',
        "src/stores/sql/q.ts": 'import type Database from "better-sqlite3";\nexport type Q = Database.Database;\n',
      }),
    ).toEqual([
      "adapters-not-domain",
      "core-imports-nothing-of-ours",
      "domain-not-upward",
      "domain-order-lineage",
      "drivers-only-in-adapters",
      "no-circular",
      "no-circular-across-folders",
      "stores-import-only-core",
      "testing-only-ports",
    ]);
  });

  it("lets http and cli use the public entries only", async () => {
    const publicTree = {
      "src/core/errors.ts": "export class E extends Error {}\n",
      "src/registry/r.ts": 'import { E } from "../core/errors.js";\nexport const r = E;\n',
      "src/index.ts": 'export { r } from "./registry/r.js";\n',
      "src/adapters/x/index.ts": 'import { E } from "../../core/errors.js";\nexport const x = E;\n',
      "src/http/index.ts": 'import { r } from "../index.js";\nexport const h = r;\n',
      "src/cli/main.ts":
        'import { h } from "../http/index.js";\nimport { x } from "../adapters/x/index.js";\nexport const m = [h, x];\n',
    };
    expect(await violations(publicTree)).toEqual([]);
    expect(
      await violations({
        ...publicTree,
        "src/http/bad.ts": 'import { E } from "../core/errors.js";\nexport const b = E;\n',
        "src/cli/bad.ts": 'import { r } from "../registry/r.js";\nexport const b = r;\n',
      }),
    ).toEqual(["surface-uses-public-modules"]);
  });
});
