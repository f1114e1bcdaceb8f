// POST /invocations speaks MLflow's scoring protocol: every input format, mapped onto the model's
// signature, answered as MLflow's server answers ({"predictions": …}).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHttpHandler, type FetchHandler } from "../../src/http/index.js";
import { type Deployment, functionModel, type Workspace } from "../../src/index.js";
import { deploy, logged } from "./deploy.js";
import { closeTo, httpWorkspaces, iris, registerModels } from "./models.js";

const exp = iris();
const rows = exp.test_rows;
const columns = exp.feature_names;

const post = (handler: FetchHandler, body: unknown, type = "application/json") =>
  handler(
    new Request("http://model.test/invocations", {
      method: "POST",
      headers: { "content-type": type },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );

type IrisAnswer = { predictions: { label: number[]; probabilities: number[][] } };

describe.each(httpWorkspaces())("POST /invocations on %s", (_name, open) => {
  let ws: Workspace;
  const deployments: Deployment[] = [];
  const serve = async (ref: string) => {
    const d = await deploy(ws, ref);
    deployments.push(d);
    return { d, handler: createHttpHandler(d, { auth: false }) };
  };
  beforeAll(async () => {
    ws = await open();
    await registerModels(ws);
  });
  afterAll(async () => {
    for (const d of deployments) await d.close();
    await ws.close();
  });

  const irisFormats: Array<[string, () => unknown, string?]> = [
    ["dataframe_split", () => ({ dataframe_split: { columns, data: rows } })],
    ["dataframe_split without columns", () => ({ dataframe_split: { data: rows } })],
    [
      "dataframe_records",
      () => ({ dataframe_records: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))) }),
    ],
    ["instances (rows)", () => ({ instances: rows })],
    ["instances (named rows)", () => ({ instances: rows.map((r) => ({ input: r })) })],
    ["inputs (tensor)", () => ({ inputs: rows })],
    ["inputs (named tensors)", () => ({ inputs: { input: rows } })],
    ["text/csv", () => [columns.join(","), ...rows.map((r) => r.join(","))].join("\n") + "\n", "text/csv"],
    [
      "text/csv with CRLF, quotes and a charset",
      () => [columns.map((c) => `"${c}"`).join(","), ...rows.map((r) => r.join(","))].join("\r\n"),
      "text/csv; charset=utf-8",
    ],
  ];

  const named = ["instances (named rows)", "inputs (named tensors)"];
  for (const ref of ["iris@1", "iris@2"]) {
    // iris@2's signature is one unnamed tensor: named inputs break it (see below), as in MLflow.
    const formats = ref === "iris@1" ? irisFormats : irisFormats.filter(([f]) => !named.includes(f));
    it.each(formats)(`${ref}: %s gives scikit-learn's probabilities to 1e-5`, async (_f, body, type) => {
      const { d, handler } = await serve(ref);
      const res = await post(handler, body(), type);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      const id = res.headers.get("x-prediction-id");
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(res.headers.get("x-model")).toBe("iris");
      expect(res.headers.get("x-model-version")).toBe(ref.slice(-1));
      const answer = (await res.json()) as IrisAnswer;
      // MLflow's ONNX flavor answers a dict of named outputs: {"predictions": {"label": […], "probabilities": [[…]]}}.
      expect(Object.keys(answer)).toEqual(["predictions"]);
      expect(Object.keys(answer.predictions).sort()).toEqual(["label", "probabilities"]);
      expect(answer.predictions.label).toEqual(exp.expected_label);
      expect(closeTo(answer.predictions.probabilities, exp.expected_proba)).toBe(true);
      const log = await logged(ws, d);
      expect(log.map((p) => p.id)).toEqual([id]);
    });
  }

  it.each(irisFormats.filter(([f]) => named.includes(f)))(
    "iris@2 (an unnamed tensor signature): %s is refused with 400 and zod's issue",
    async (_f, body) => {
      const { d, handler } = await serve("iris@2");
      const res = await post(handler, body());
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { error: { code: string; issues: Array<{ code: string }> } };
      expect(answer.error.code).toBe("VALIDATION");
      expect(answer.error.issues[0].code).toBe("invalid_type");
      expect(await logged(ws, d)).toEqual([]);
    },
  );

  it("params are accepted beside the inputs", async () => {
    const { handler } = await serve("iris@2");
    const res = await post(handler, { inputs: rows.slice(0, 2), params: { threshold: 0.5 } });
    expect(res.status).toBe(200);
  });

  describe("a model that takes rows as objects", () => {
    const sales = [
      { price: 2.5, qty: 4, region: "eu" },
      { price: 10, qty: 1, region: "us" },
    ];
    const expected = [11, 10];
    it.each<[string, unknown, string?]>([
      [
        "dataframe_split",
        {
          dataframe_split: {
            columns: ["qty", "region", "price"],
            data: [
              [4, "eu", 2.5],
              [1, "us", 10],
            ],
          },
        },
      ],
      ["dataframe_records", { dataframe_records: sales }],
      ["instances", { instances: sales }],
      ["inputs (columns)", { inputs: { price: [2.5, 10], qty: [4, 1], region: ["eu", "us"] } }],
      ["inputs (rows)", { inputs: sales }],
      // The region "1" stays a string: the signature says so.
      ["text/csv", "region,price,qty\neu,2.5,4\nus,10,1\n", "text/csv"],
    ])("%s", async (_f, body, type) => {
      const { handler } = await serve("sales@1");
      const res = await post(handler, body, type);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ predictions: expected });
    });

    it("CSV cells are read by the signature's types: a numeric-looking region stays a string", async () => {
      const { handler } = await serve("sales@1");
      const res = await post(handler, "price,qty,region\n1,2,3\n", "text/csv");
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ predictions: [2] });
    });
  });

  it("a tensor whose positions are named takes the data frame's columns in the signature's order", async () => {
    const { handler } = await serve("diff@1");
    const split = await post(handler, {
      dataframe_split: {
        columns: ["b", "a"],
        data: [
          [1, 10],
          [2, 5],
        ],
      },
    });
    expect(await split.json()).toEqual({ predictions: [9, 3] });
    const records = await post(handler, { dataframe_records: [{ b: 1, a: 10 }] });
    expect(await records.json()).toEqual({ predictions: [9] });
    const csv = await post(handler, "b,a\n1,10\n", "text/csv");
    expect(await csv.json()).toEqual({ predictions: [9] });
    const missing = await post(handler, { dataframe_split: { columns: ["b", "c"], data: [[1, 10]] } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/miss a/);
  });

  it("a model with named inputs takes a data frame's columns as its tensors", async () => {
    const { handler } = await serve("pair@1");
    for (const body of [
      {
        dataframe_split: {
          columns: ["left", "right"],
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      },
      {
        dataframe_records: [
          { left: 1, right: 2 },
          { left: 3, right: 4 },
        ],
      },
      {
        instances: [
          { left: 1, right: 2 },
          { left: 3, right: 4 },
        ],
      },
      { inputs: { left: [1, 3], right: [2, 4] } },
    ]) {
      const res = await post(handler, body);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ predictions: [3, 7] });
    }
    const csv = await post(handler, "left,right\n1,2\n3,4\n", "text/csv");
    expect(await csv.json()).toEqual({ predictions: [3, 7] });
  });
});

describe.each(httpWorkspaces())("POST /invocations with entities on %s", (_name, open) => {
  it("{entities, values} → the feature service's online features, with values passed directly merged over them", async () => {
    await using ws = await open();
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "driver_stats",
      entities: ["driver"],
      schema: z.object({ conv_rate: z.number(), trips: z.number().int() }),
    });
    await ws.features.applyFeatureService({ name: "eta", features: ["driver_stats:trips", "driver_stats:conv_rate"] });
    await ws.features.ingest("driver_stats", [
      { driver_id: 1, event_timestamp: Date.now() - 60_000, conv_rate: 0.5, trips: 10 },
      { driver_id: 2, event_timestamp: Date.now() - 60_000, conv_rate: 0.25, trips: 4 },
    ]);
    await ws.features.materialize();
    ws.registry.registerFunction(
      "eta",
      () => (rows: Array<[number | null, number | null]>) => rows.map(([trips, rate]) => (trips ?? 0) * (rate ?? 0)),
    );
    await ws.registry.register("eta", {
      model: functionModel("eta", {}),
      featureService: "eta",
      signature: { inputs: z.array(z.tuple([z.number().nullable(), z.number().nullable()])) },
    });
    await using d = await deploy(ws, "eta@1");
    const handler = createHttpHandler(d, { auth: false });
    const res = await post(handler, { entities: [{ driver_id: 1 }, { driver_id: 2 }], values: [{}, { trips: 8 }] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ predictions: [5, 2] });
    const log = await logged(ws, d);
    expect(log.map((p) => p.id)).toEqual([res.headers.get("x-prediction-id")]);
    const mismatched = await post(handler, { entities: [{ driver_id: 1 }], values: [{}, {}] });
    expect(mismatched.status).toBe(400);
    expect(((await mismatched.json()) as { error: { message: string } }).error.message).toBe(
      "values: has 2 rows, and there are 1 entities",
    );
  });
});
