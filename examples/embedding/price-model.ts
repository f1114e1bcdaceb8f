// The model both embedding examples serve: a house-price function model registered and made
// champion in a workspace. In a real service the workspace already holds it (trained by a pipeline,
// or registered from Python's ONNX export) and the service only deploys `price@champion`.
import { z } from "zod";
import { functionModel, type Workspace } from "../../src/index.js";

/** One house, as a caller sends it. */
export const House = z.object({ rooms: z.number().int().min(1), city: z.string() });
export type House = z.infer<typeof House>;

/** Registers version 1 of `price` and points `champion` at it. */
export async function registerPriceModel(ws: Workspace): Promise<void> {
  ws.registry.registerFunction(
    "price",
    (s: { perRoom: number; paris: number }) => (rows: House[]) =>
      rows.map((r) => r.rooms * s.perRoom + (r.city === "Paris" ? s.paris : 0)),
  );
  const v = await ws.registry.register("price", {
    model: functionModel("price", { perRoom: 50, paris: 100 }),
    signature: { inputs: z.array(House).min(1), outputs: z.array(z.number()) },
  });
  await ws.registry.setAlias("price", "champion", v.version, { actor: "example", reason: "first model" });
}
