// `mlcycle ab list|show|analyze`: online experiments read from a workspace folder, as tables for
// people and as JSON equal to what ws.online reports.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { functionModel, openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { runCli } from "./run-cli.js";

describe("mlcycle ab", () => {
  const cwd = tempDir("mlcycle-cli-ab-");
  const dir = join(cwd, "ws");
  let expected: unknown;

  beforeAll(async () => {
    await using ws = await openWorkspace(dir);
    ws.registry.registerFunction("constant", (s: { y: number }) => (rows: number[][]) => rows.map(() => s.y));
    await ws.registry.register("scorer", { model: functionModel("constant", { y: 0 }) });
    await ws.registry.register("scorer", { model: functionModel("constant", { y: 1 }) });
    const ab = await ws.online.split("price-test", {
      variants: [
        { name: "control", ref: "scorer@1", weight: 50 },
        { name: "treatment", ref: "scorer@2", weight: 50 },
      ],
    });
    for (let i = 0; i < 200; i++) {
      const p = await ab.predict([[i]], { unit: `user-${i}` });
      // Treatment converts more often: every unit of it with i % 3 != 0, control with i % 3 == 0.
      const converted = p.variant === "treatment" ? i % 3 !== 0 : i % 3 === 0;
      await ab.feedback(p.predictionId, { outcome: converted ? 1 : 0 });
    }
    await ab.close();
    expected = await ws.online.analyze("price-test", { metric: "outcome", type: "proportion", sequential: true });
  }, 60_000);

  it("list: a table, and --json equal to ws.online.list()", async () => {
    const table = await runCli(["ab", "list", "--workspace", dir], { cwd });
    expect(table.code).toBe(0);
    const [heading, row] = table.stdout.trim().split("\n");
    expect(heading.split(/\s{2,}/)).toEqual(["NAME", "KIND", "STATUS", "DEPLOYMENT", "UPDATED", "TRAFFIC"]);
    expect(row).toContain("price-test");
    expect(row).toContain("control 50%, treatment 50%");
    const json = await runCli(["ab", "list", "--json", "--status", "running", "--workspace", dir], { cwd });
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as Array<{ name: string; kind: string }>;
    expect(list.map((e) => [e.name, e.kind])).toEqual([["price-test", "split"]]);
  });

  it("show: variants and the audit trail; --json gives both", async () => {
    const text = await runCli(["ab", "show", "price-test", "--workspace", dir], { cwd });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^price-test: split on /);
    expect(text.stdout).toMatch(/control\s+scorer@1\s+50/);
    expect(text.stdout).toMatch(/treatment\s+scorer@2\s+50/);
    const json = await runCli(["ab", "show", "price-test", "--json", "--workspace", dir], { cwd });
    const shown = JSON.parse(json.stdout) as { experiment: { name: string }; history: Array<{ seq: number }> };
    expect(shown.experiment.name).toBe("price-test");
    expect(shown.history.map((h) => h.seq)).toEqual(shown.history.map((_, i) => i + 1));
  });

  it("analyze: --json equals ws.online.analyze, and the table names each variant", async () => {
    const json = await runCli(
      ["ab", "analyze", "price-test", "--type", "proportion", "--sequential", "--json", "--workspace", dir],
      { cwd },
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(
      JSON.parse(JSON.stringify(expected, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v))),
    );
    const table = await runCli(["ab", "analyze", "price-test", "-t", "proportion", "--workspace", dir], { cwd });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("treatment");
    expect(table.stdout).toContain("control");
  });

  it("exit 1 with one line for an unknown experiment, 2 for a bad option", async () => {
    const unknown = await runCli(["ab", "show", "nope", "--workspace", dir], { cwd });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toContain("nope");
    const bad = await runCli(["ab", "analyze", "price-test", "--alpha", "2", "--workspace", dir], { cwd });
    expect(bad.code).toBe(2);
    const missing = await runCli(["ab", "list", "--workspace", join(cwd, "nowhere")], { cwd });
    expect(missing.code).toBe(1);
  });
});
