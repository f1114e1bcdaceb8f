/**
 * Evaluation throughput on synthetic data. Each figure is printed beside a baseline measured in the
 * same run: sorting the same number of float64 scores, the least any rank metric (ROC AUC, average
 * precision, median error) must do. Target: `evaluate` of a binary classifier with probabilities
 * (23 metrics) ≤ 5× the sort.
 *
 *   npx tsx bench/evaluation.bench.ts
 */
import { evaluate, rocAucScore } from "mlcycle";
import { record, size } from "./report.js";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn: () => unknown, runs = 5): number {
  fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

const n = size(200_000, 20_000);
const rnd = lcg(7);
const yTrue = Array.from({ length: n }, () => (rnd() < 0.4 ? 1 : 0));
const score = yTrue.map((y) => Math.min(1, Math.max(0, 0.35 * y + 0.65 * rnd())));
const yPred = score.map((s) => (s >= 0.5 ? 1 : 0));
const target = Array.from({ length: n }, () => 50 + 20 * rnd());
const pred = target.map((t) => t + 8 * (rnd() - 0.5));
const k = 5;
const yTrueMc = Array.from({ length: n }, () => Math.floor(rnd() * k));
const proba = yTrueMc.map((y) => {
  const row = Array.from({ length: k }, (_, c) => rnd() + (c === y ? 1 : 0));
  const s = row.reduce((a, b) => a + b, 0);
  return row.map((v) => v / s);
});
const yPredMc = proba.map((r) => r.indexOf(Math.max(...r)));

const baseline = time(() => Float64Array.from(score).sort());
const sortOfScores = { name: `sort of ${n.toLocaleString("en")} float64 scores`, value: baseline };

console.log(`n = ${n.toLocaleString("en")} examples; baseline = sort of n float64 scores`);
record({
  name: "rocAucScore (binary)",
  value: time(() => rocAucScore(yTrue, score)),
  unit: "ms",
  baseline: sortOfScores,
});
record({
  name: "evaluate classification, binary + probabilities (23 metrics)",
  value: time(() => evaluate({ task: "classification", yTrue, yPred, probabilities: score })),
  unit: "ms",
  baseline: sortOfScores,
  target: { ratioMax: 5 },
});
record({
  name: "evaluate regression (11 metrics)",
  value: time(() => evaluate({ task: "regression", yTrue: target, yPred: pred })),
  unit: "ms",
  baseline: sortOfScores,
});
const baseMc = time(() => Float64Array.from(proba.flat()).sort(), 3);
record({
  name: `evaluate classification, ${k} classes`,
  value: time(() => evaluate({ task: "classification", yTrue: yTrueMc, yPred: yPredMc, probabilities: proba }), 3),
  unit: "ms",
  baseline: { name: `sort of n × ${k} probabilities`, value: baseMc },
});
