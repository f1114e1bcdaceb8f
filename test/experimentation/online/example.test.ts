import { expect, it } from "vitest";
import { main } from "../../../examples/ab-test.js";

it("examples/ab-test.ts runs: a significant A/B analysis, then a canary rolled back when its errors rise", async () => {
  const lines: string[] = [];
  const summary = await main({ print: (line: string) => lines.push(line) });
  const [treatment] = summary.analysis.comparisons;
  expect(treatment).toMatchObject({ variant: "treatment", test: "two_proportion_z", significant: true });
  expect(summary.analysis.srm?.mismatch).toBe(false);
  expect(summary.canary.map((t) => t.action)).toEqual(["held", "advanced", "held", "advanced", "rolled_back"]);
  expect(summary.canary.at(-1)).toMatchObject({ percent: 50 });
  expect(summary.champion).toBe(1);
  const text = lines.join("\n");
  expect(text).toContain("discount-ab (split, running): outcome, two-proportion z-test");
  expect(text).toContain("audit: rolled_back by ci: rule error_rate fired");
});
