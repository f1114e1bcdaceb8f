// Embedding in Fastify: your own routes beside a model served under /models/price (MLflow's scoring
// protocol). Fastify keeps the full path, so the handler is told its base path; the model's routes
// live in a scope of their own that leaves request bodies unread for the handler.
// Run with `npm run example:fastify`; it listens on PORT (default 3000) until Ctrl-C.
import { pathToFileURL } from "node:url";
import Fastify, { type FastifyInstance } from "fastify";
import { createWorkspace, type Deployment } from "../../src/index.js";
import { createHttpHandler, toNodeHandler } from "../../src/http/index.js";
import { House, type House as HouseRow, registerPriceModel } from "./price-model.js";

const BASE = "/models/price";

/** The app: the model under BASE, your routes beside it. */
export async function createApp(deployment: Deployment<HouseRow[], number[]>, token: string): Promise<FastifyInstance> {
  const app = Fastify();
  const model = toNodeHandler(createHttpHandler(deployment, { auth: { token }, basePath: BASE }));
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null)); // the handler reads the body
    scope.all(`${BASE}/*`, async (request, reply) => {
      reply.hijack();
      await model(request.raw, reply.raw);
    });
  });
  app.get("/", async () => ({ service: "listings", model: deployment.describe() }));
  app.post("/listings/quote", async (request, reply) => {
    const house = House.safeParse(request.body);
    if (!house.success) return reply.code(400).send({ error: house.error.issues });
    const p = await deployment.predict([house.data]);
    return { price: p.outputs[0], version: p.version, predictionId: p.predictionId };
  });
  return app;
}

/** Starts the service; resolves with its URL and a `close()` that drains and closes everything. */
export async function main({ port = Number(process.env.PORT ?? 3000), token = "example-token" } = {}) {
  const ws = await createWorkspace(); // openWorkspace("./.mlcycle") in a real service
  await registerPriceModel(ws);
  const deployment = await ws.serving.deploy<HouseRow[], number[]>("price@champion", { name: "price" });
  const app = await createApp(deployment, token);
  const url = await app.listen({ port, host: "127.0.0.1" });
  return {
    url,
    async close() {
      await app.close();
      await ws.close(); // closes the deployment too
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await main();
  console.log(`listening on ${service.url}; try:
  curl -s -X POST ${service.url}${BASE}/invocations -H 'authorization: Bearer example-token' \\
       -H 'content-type: application/json' -d '{"dataframe_records": [{"rooms": 3, "city": "Paris"}]}'
  curl -s -X POST ${service.url}/listings/quote -H 'content-type: application/json' -d '{"rooms": 2, "city": "Lyon"}'`);
  process.once("SIGINT", () => void service.close());
  process.once("SIGTERM", () => void service.close());
}
