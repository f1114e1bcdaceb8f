// Embedding in Express: your own routes beside a model served at /models/price (MLflow's scoring
// protocol: POST /models/price/invocations, /feedback, /metadata, GET /models/price/ping), and a route
// of yours that calls the deployment in process.
// Run with `npm run example:express`; it listens on PORT (default 3000) until Ctrl-C.
import { pathToFileURL } from "node:url";
import express from "express";
import { createWorkspace, type Deployment } from "../../src/index.js";
import { createHttpHandler, toNodeHandler } from "../../src/http/index.js";
import { House, type House as HouseRow, registerPriceModel } from "./price-model.js";

/** The app: the model's handler mounted first, so that no body parser reads its requests. */
export function createApp(deployment: Deployment<HouseRow[], number[]>, token: string): express.Express {
  const app = express();
  // Express strips the mount path: the handler sees /invocations, /ping…
  app.use("/models/price", toNodeHandler(createHttpHandler(deployment, { auth: { token } })));
  app.use(express.json()); // your own routes' body parser, after the mount
  app.get("/", (_req, res) => {
    res.json({ service: "listings", model: deployment.describe() });
  });
  // A route of your own that uses the model without HTTP in between.
  app.post("/listings/quote", async (req, res) => {
    const house = House.safeParse(req.body);
    if (!house.success) {
      res.status(400).json({ error: house.error.issues });
      return;
    }
    const p = await deployment.predict([house.data]);
    res.json({ price: p.outputs[0], version: p.version, predictionId: p.predictionId });
  });
  return app;
}

/** Starts the service; resolves with its URL and a `close()` that drains and closes everything. */
export async function main({ port = Number(process.env.PORT ?? 3000), token = "example-token" } = {}) {
  const ws = await createWorkspace(); // openWorkspace("./.mlcycle") in a real service
  await registerPriceModel(ws);
  const deployment = await ws.serving.deploy<HouseRow[], number[]>("price@champion", { name: "price" });
  const server = createApp(deployment, token).listen(port, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await ws.close(); // closes the deployment too
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await main();
  console.log(`listening on ${service.url}; try:
  curl -s -X POST ${service.url}/models/price/invocations -H 'authorization: Bearer example-token' \\
       -H 'content-type: application/json' -d '{"dataframe_records": [{"rooms": 3, "city": "Paris"}]}'
  curl -s -X POST ${service.url}/listings/quote -H 'content-type: application/json' -d '{"rooms": 2, "city": "Lyon"}'`);
  process.once("SIGINT", () => void service.close());
  process.once("SIGTERM", () => void service.close());
}
