// examples/onnx-served.ts: scikit-learn's iris model (ONNX) served over HTTP answers scikit-learn's
// labels; the monitor's first window (the held-out rows) has scikit-learn's test accuracy and no
// drift; the recalibrated window drifts on the two petal columns, alerts, and /metrics reports it.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { main } from "../../examples/onnx-served.js";
import { fixturePath } from "../helpers.js";

const expected = JSON.parse(readFileSync(fixturePath("models", "iris-logreg.expected.json"), "utf8")) as {
  expected_label: number[];
  expected_test_accuracy: number;
};

it("serves the Python-trained ONNX model over HTTP and the monitor catches the drifted window", async () => {
  const lines: string[] = [];
  const seen = await main({ print: (l: string) => lines.push(l) });
  expect(seen.labels).toEqual(expected.expected_label);
  expect(seen.windows).toHaveLength(2);
  const [calm, shifted] = seen.windows;
  expect(calm?.rows).toBe(40);
  expect(calm?.performance?.metrics.accuracy_score).toBeCloseTo(expected.expected_test_accuracy, 12);
  expect(calm?.drift?.drifted).toBe(false);
  expect(shifted?.drift?.drifted).toBe(true);
  expect(shifted?.drift?.columns.filter((c) => c.drifted).map((c) => c.column)).toEqual([
    "petal_length",
    "petal_width",
  ]);
  expect(seen.alerts.map((a) => [a.rule, a.figure, a.value])).toEqual([["dataset-drift", "dataset_drift", 1]]);
  expect(seen.metrics).toContain('mlcycle_monitor_drift_share{monitor="iris",deployment="iris"} 0.5');
  expect(lines.join("\n")).toContain("window of 40 rows: accuracy 0.975, drift no");
}, 60_000);
