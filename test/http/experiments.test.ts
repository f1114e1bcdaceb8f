// A routed deployment (an online experiment) served over HTTP: the unit comes from x-unit-id, the
// answering variant and experiment go back in headers, and outcomes come in through /feedback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler, UNIT_HEADER } from "../../src/http/index.js";
import type { Workspace } from "../../src/index.js";
import { httpWorkspaces, iris, registerModels } from "./models.js";

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://model.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe.each(httpWorkspaces())("an online experiment over HTTP on %s", (_name, open) => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await open();
    await registerModels(ws);
  });
  afterAll(() => ws.close());

  it("assigns by x-unit-id, names the variant and experiment, and sums /feedback outcomes per variant", async () => {
    const name = `ab-${Math.random().toString(36).slice(2)}`;
    const ab = await ws.online.split(name, {
      variants: [
        { name: "control", ref: "iris@1", weight: 50 },
        { name: "treatment", ref: "iris@2", weight: 50 },
      ],
    });
    const handler = createHttpHandler(ab, { auth: false });
    const rows = iris().test_rows.slice(0, 1);
    const seen = new Map<string, string>();
    const ids: Array<{ id: string; variant: string }> = [];
    for (let i = 0; i < 40; i++) {
      const unit = `user-${i % 20}`;
      const res = await handler(post("/invocations", { inputs: rows }, { [UNIT_HEADER]: unit }));
      expect(res.status).toBe(200);
      const variant = res.headers.get("x-variant");
      expect(variant === "control" || variant === "treatment").toBe(true);
      expect(res.headers.get("x-experiment")).toBe(name);
      // Sticky: the same unit gets the same variant on every call.
      if (seen.has(unit)) expect(variant).toBe(seen.get(unit));
      seen.set(unit, variant as string);
      if (i < 20) ids.push({ id: res.headers.get("x-prediction-id") as string, variant: variant as string });
    }
    expect(new Set(seen.values()).size).toBe(2);
    for (const { id, variant } of ids) {
      const res = await handler(post("/feedback", { predictionId: id, outcome: variant === "treatment" ? 1 : 0 }));
      expect(res.status).toBe(200);
    }
    const analysis = await ws.online.analyze(name, { metric: "outcome", type: "proportion" });
    const byVariant = Object.fromEntries(analysis.variants.map((v) => [v.variant, v]));
    const treated = ids.filter((x) => x.variant === "treatment").length;
    expect(byVariant.treatment.n).toBe(treated);
    expect(byVariant.treatment.mean).toBe(1);
    expect(byVariant.control.n).toBe(ids.length - treated);
    expect(byVariant.control.mean).toBe(0);
    await ab.close();
  });

  it("refuses an empty or oversized unit id with 400 and logs nothing", async () => {
    const ab = await ws.online.split(`ab-${Math.random().toString(36).slice(2)}`, {
      variants: [{ name: "only", ref: "iris@1", weight: 1 }],
    });
    const handler = createHttpHandler(ab, { auth: false });
    for (const unit of ["", "u".repeat(501)]) {
      const res = await handler(
        post("/invocations", { inputs: iris().test_rows.slice(0, 1) }, { [UNIT_HEADER]: unit }),
      );
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; issues: Array<{ path: string[] }> } };
      expect(body.error.code).toBe("VALIDATION");
      expect(body.error.issues[0].path).toEqual([UNIT_HEADER]);
    }
    await ab.flush();
    expect((await ws.serving.listPredictions({ variant: "only" })).predictions).toHaveLength(0);
    await ab.close();
  });
});
