import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { FeatureStatus, OnlineFeatures, TrainingSet, Workspace } from "../../src/index.js";

declare const ws: Workspace;

describe("feature store types", () => {
  it("types on-demand request data and results from their schemas", () => {
    void ws.features.defineOnDemandFeatureView({
      name: "derived",
      sources: ["stats:rate"],
      request: z.object({ bonus: z.number(), region: z.string() }),
      schema: z.object({ adjusted: z.number() }),
      compute: ({ request, features }) => {
        expectTypeOf(request).toEqualTypeOf<{ bonus: number; region: string }>();
        expectTypeOf(features).toEqualTypeOf<Record<string, unknown>>();
        return { adjusted: request.bonus };
      },
    });
    void ws.features.defineOnDemandFeatureView({
      name: "wrong",
      sources: ["stats:rate"],
      schema: z.object({ adjusted: z.number() }),
      // @ts-expect-error the result must fit the schema
      compute: () => ({ adjusted: "high" }),
    });
  });

  it("answers reads with typed shapes", () => {
    expectTypeOf(ws.features.getOnlineFeatures([{ id: 1 }], ["stats:rate"])).resolves.toEqualTypeOf<OnlineFeatures>();
    expectTypeOf<OnlineFeatures["rows"][number]["status"][string]>().toEqualTypeOf<FeatureStatus>();
    expectTypeOf(
      ws.features.getHistoricalFeatures({ entityRows: [], features: { service: "svc" } }),
    ).resolves.toEqualTypeOf<TrainingSet>();
    // @ts-expect-error features are references or { service }
    void ws.features.getOnlineFeatures([{ id: 1 }], "stats:rate");
  });
});
