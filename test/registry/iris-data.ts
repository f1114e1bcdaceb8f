import { readFileSync } from "node:fs";
import { fixturePath } from "../helpers.js";

/** The iris split of the ONNX fixture, read in place: rows, labels and scikit-learn's outputs. */
export interface IrisFixture {
  train_rows: number[][];
  train_labels: number[];
  test_rows: number[][];
  test_labels: number[];
  expected_proba: number[][];
  expected_label: number[];
}

/** Reads `models/iris-logreg.expected.json`. */
export function irisFixture(): IrisFixture {
  return JSON.parse(readFileSync(fixturePath("models", "iris-logreg.expected.json"), "utf8"));
}
