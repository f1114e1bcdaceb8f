// Online experiments: an A/B test of two model versions under a 50/50 split, analysed as GrowthBook
// would, then a canary that rolls back by itself when the new version starts failing.
// Run with `npm run example:ab` (or `npx tsx examples/ab-test.ts`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import {
  formatAnalysis,
  functionModel,
  manualClock,
  type OnlineAnalysis,
  openWorkspace,
  type TickResult,
} from "../src/index.js";

/** What the example found, for its test. */
export interface AbTestSummary {
  analysis: OnlineAnalysis;
  canary: TickResult[];
  champion: number;
}

/** Park–Miller: simulated users behave the same on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

export async function main({ users = 2_000, print = console.log } = {}): Promise<AbTestSummary> {
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-ab-"));
  const clock = manualClock(Date.UTC(2025, 0, 1));
  const ws = await openWorkspace(dir, { clock });
  try {
    // A "discount" model: given a basket value, the discount to offer. v2 offers a little more; v3
    // also asks a price service about large baskets — and fails when that service is down.
    let priceServiceDown = false;
    ws.registry.registerFunction(
      "discount",
      (s: { rate: number; asksPriceService?: boolean }) => (rows: number[][]) =>
        rows.map(([basket]) => {
          if (s.asksPriceService && priceServiceDown && basket > 60) throw new Error("price service unavailable");
          return Math.round(basket * s.rate * 100) / 100;
        }),
    );
    const signature = { inputs: z.array(z.tuple([z.number()])).min(1), outputs: z.array(z.number()) };
    await ws.registry.register("discount", { model: functionModel("discount", { rate: 0.05 }), signature });
    await ws.registry.register("discount", { model: functionModel("discount", { rate: 0.08 }), signature });
    await ws.registry.setAlias("discount", "champion", 1, { actor: "ana", reason: "first model" });

    // 1. A/B test: each user is assigned by a hash of their id, so they see one version every time.
    const ab = await ws.online.split("discount-ab", {
      variants: [
        { name: "control", ref: "discount@champion", weight: 50 },
        { name: "treatment", ref: "discount@2", weight: 50 },
      ],
      actor: "ana",
      reason: "does an 8% discount convert better than 5%?",
    });
    const behave = random(7);
    for (let i = 0; i < users; i++) {
      const basket = 20 + 80 * behave();
      const p = await ab.predict([[basket]], { unit: `user-${i}` });
      // The simulated user converts more often with a larger discount: 10% → 14%.
      const converted = behave() < 0.1 + 1.33 * (p.outputs[0] / basket - 0.05) ? 1 : 0;
      await ab.feedback(p.predictionId, { outcome: converted });
    }
    const analysis = await ws.online.analyze("discount-ab", {
      metric: "outcome",
      type: "proportion",
      sequential: true,
    });
    print(formatAnalysis(analysis));
    await ws.online.stop("discount-ab", { actor: "ana", reason: "analysed" });

    // 2. Canary: v3 ramps up while its error rate, checked at every tick, stays under 2%. At minute
    // 25 the price service it depends on goes down; the rule fires and every call goes back to the
    // stable version, with an audit record.
    await ws.registry.register("discount", {
      model: functionModel("discount", { rate: 0.08, asksPriceService: true }),
      signature,
    });
    const canary = await ws.online.canary("discount-v3", {
      stable: "discount@champion",
      candidate: "discount@3",
      steps: [5, 25, 50, 100],
      bakeMs: 10 * 60_000,
      rules: [{ kind: "error_rate", max: 0.02, minCalls: 10 }],
      tickIntervalMs: false, // this example ticks by hand, on its own clock
      actor: "ci",
    });
    print("\ncanary discount-v3: 5% → 25% → 50% → 100%, 10 minutes a step, rolled back above 2% errors");
    const ticks: TickResult[] = [];
    for (let minute = 5; minute <= 60 && ticks.at(-1)?.action !== "rolled_back"; minute += 5) {
      if (minute === 25) {
        priceServiceDown = true;
        print("  minute 25: the price service goes down");
      }
      for (let i = 0; i < 200; i++) {
        const basket = 20 + 80 * behave();
        await canary.predict([[basket]], { unit: `shopper-${minute}-${i}` }).catch(() => undefined);
      }
      clock.advance(5 * 60_000);
      const t = await ws.online.tick("discount-v3");
      ticks.push(t);
      print(
        `  minute ${String(minute).padStart(2)}: ${t.action.padEnd(11)} ${String(t.percent).padStart(3)}%  ${t.reason}`,
      );
    }
    const [rollback] = (await ws.online.history("discount-v3")).filter((e) => e.action === "rolled_back");
    print(`audit: ${rollback.action} by ${rollback.actor}: ${rollback.reason}`);
    const champion = (await ws.registry.aliases("discount")).champion;
    print(`discount@champion is still version ${champion}`);
    return { analysis, canary: ticks, champion };
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
