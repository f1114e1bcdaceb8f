// A model trained in Python, served and monitored in Node: scikit-learn's logistic regression on
// iris, exported with skl2onnx (`to_onnx(model, X[:1].astype(np.float32), options={"zipmap": False})`),
// registered with the onnx flavor, served over HTTP with MLflow's scoring protocol, and watched by a
// monitor that compares each window of traffic with the training data. Half-way, a recalibrated
// sensor shifts the petal measurements: the window drifts and the monitor alerts.
//
// The model and its data come from the reference fixtures (the folder named by MLCYCLE_FIXTURES,
// default test/fixtures/reference); pass your own export as `npx tsx examples/onnx-served.ts my.onnx`
// (with a 4-feature float input). Needs onnxruntime-node (an optional peer dependency):
// `ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install onnxruntime-node`.
// Run with `npm run example:onnx`.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { onnxFlavor } from "../src/adapters/onnx/index.js";
import { createHttpHandler, serveHttp } from "../src/http/index.js";
import { createWorkspace, type MonitorAlertEvent, type WindowReport } from "../src/index.js";

const fixtures = resolve(
  process.env.MLCYCLE_FIXTURES ?? join(import.meta.dirname, "..", "test", "fixtures", "reference"),
);
const COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"] as const;

/** What the example saw, for its test. */
export interface OnnxServedSummary {
  labels: number[];
  windows: WindowReport[];
  alerts: MonitorAlertEvent[];
  metrics: string;
}

export async function main({
  modelPath = join(fixtures, "models", "iris-logreg.onnx"),
  print = console.log,
} = {}): Promise<OnnxServedSummary> {
  // The rows scikit-learn was trained and tested on (with its answers, to compare with).
  const iris = JSON.parse(readFileSync(join(fixtures, "models", "iris-logreg.expected.json"), "utf8")) as {
    train_rows: number[][];
    test_rows: number[][];
    test_labels: number[];
  };
  await using ws = await createWorkspace(); // openWorkspace("./.mlcycle") in a real service
  ws.registry.registerFlavor(onnxFlavor());
  // A signature with named positions lets callers send data frames with columns in any order.
  const row = z.tuple([
    z.number().meta({ title: "sepal_length" }),
    z.number().meta({ title: "sepal_width" }),
    z.number().meta({ title: "petal_length" }),
    z.number().meta({ title: "petal_width" }),
  ]);
  const v = await ws.registry.register("iris", {
    model: modelPath,
    flavor: "onnx",
    signature: { inputs: z.array(row).min(1) },
    description: "scikit-learn LogisticRegression, exported with skl2onnx",
  });
  await ws.registry.setAlias("iris", "champion", v.version, { actor: "data-science", reason: "trained in Python" });
  print(`registered iris@${v.version} (onnx, sha256 ${v.digest.slice(0, 12)}) as champion`);

  const deployment = await ws.serving.deploy("iris@champion", { name: "iris" });

  // The monitor reads the deployment's prediction log: features by position, the predicted label,
  // and the true species once feedback arrives. Its reference: the training rows as the model answers them.
  const monitor = await ws.monitors.open("iris", {
    deployment: "iris",
    features: [...COLUMNS],
    predictions: ["label"],
    label: "species",
    window: { rows: 40 },
    graceMs: 0,
    checkIntervalMs: false, // this example checks after each batch of traffic
  });
  const model = await ws.registry.load(`iris@${v.version}`);
  const trained = (await model.predict(iris.train_rows)) as { label: number[] };
  await model.close();
  await monitor.setReference(
    {
      rows: iris.train_rows.map((r, i) => ({
        ...Object.fromEntries(COLUMNS.map((c, j) => [c, r[j]])),
        label: trained.label[i],
      })),
    },
    { model: v },
  );
  const alerts: MonitorAlertEvent[] = [];
  ws.events.on("monitor.alert", (a) => alerts.push(a));

  const token = "example-token";
  const handler = createHttpHandler(deployment, { auth: { token }, metrics: ws.monitors.metricsHandler() });
  await using server = await serveHttp(handler, { port: 0 });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

  /** Sends rows as a client written for `mlflow models serve` would, then the true species. */
  async function traffic(rows: number[][], labels: number[]): Promise<number[]> {
    const answered: number[] = [];
    for (let i = 0; i < rows.length; i += 10) {
      const res = await fetch(`${server.url}/invocations`, {
        method: "POST",
        headers,
        body: JSON.stringify({ dataframe_split: { columns: COLUMNS, data: rows.slice(i, i + 10) } }),
      });
      const { predictions } = (await res.json()) as { predictions: { label: number[] } };
      answered.push(...predictions.label);
      await fetch(`${server.url}/feedback`, {
        method: "POST",
        headers,
        body: JSON.stringify({ predictionId: res.headers.get("x-prediction-id"), label: labels.slice(i, i + 10) }),
      });
    }
    return answered;
  }

  const windows: WindowReport[] = [];
  const report = (w: WindowReport) => {
    windows.push(w);
    const drifted = w.drift?.columns.filter((c) => c.drifted).map((c) => c.column) ?? [];
    print(
      `window of ${w.rows} rows: accuracy ${w.performance?.metrics.accuracy_score?.toFixed(3)}, ` +
        `drift ${w.drift?.drifted ? `YES (${drifted.join(", ")})` : "no"}`,
    );
  };

  const labels = await traffic(iris.test_rows, iris.test_labels);
  for (const w of await monitor.check()) report(w);

  print("a sensor is recalibrated: petal measurements now read 2 cm and 1 cm longer");
  const shifted = iris.test_rows.map(([sl, sw, pl, pw]) => [sl!, sw!, pl! + 2, pw! + 1]);
  await traffic(shifted, iris.test_labels);
  for (const w of await monitor.check()) report(w);
  for (const a of alerts) print(`ALERT ${a.rule}: ${a.message}`);

  const scrape = await fetch(`${server.url}/metrics`, { headers });
  const metrics = await scrape.text();
  print(metrics.split("\n").find((l) => l.startsWith("mlcycle_monitor_drift_share")) ?? "");
  return { labels, windows, alerts, metrics };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await main(process.argv[2] ? { modelPath: resolve(process.argv[2]) } : {});
