// examples/continuous-training.ts on a one-second schedule: each night's run is gated against the
// champion; the night the market moves the candidate wins, the alias moves with an audit record and
// the deployment answers with the new version; the nights before and after, the candidate is rejected.
import { expect, it } from "vitest";
import { main } from "../../examples/continuous-training.js";

it("retrains on the cron schedule, promotes only the candidate that beats the champion, and the deployment swaps", async () => {
  const lines: string[] = [];
  const nights = await main({ cron: "* * * * * *", nights: 3, print: (l: string) => lines.push(l) });
  expect(nights.map((n) => [n.day, n.version, n.promoted, n.served])).toEqual([
    [1, 2, false, 1],
    [2, 3, true, 3],
    [3, 4, false, 3],
  ]);
  // The market moved on day 2: the old champion is far off on that night's rows, the candidate is not.
  const [, moved, after] = nights;
  expect(moved?.championMae).toBeGreaterThan(25);
  expect(moved?.mae).toBeLessThan(15);
  // Without a move, the same model retrained is not 5% better: rejected.
  expect(after?.mae).toBeGreaterThan((after?.championMae as number) * 0.95);
  const text = lines.join("\n");
  expect(text).toContain("day 2: candidate price@3");
  expect(text).toContain("promoted, deployment swapped; 3 rooms → 186 by v3");
  expect(text).toMatch(/audit: champion 1 → 3 by nightly-retrain: day 2: passed beats-champion/);
}, 60_000);
