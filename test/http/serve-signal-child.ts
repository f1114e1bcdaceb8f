// Run by serve-http.test.ts in a child process: serves with `signals: true`, prints the URL, and on
// SIGTERM drains a request in flight before it exits.
import { setTimeout as sleep } from "node:timers/promises";
import { serveHttp } from "../../src/http/index.js";

const closed = { value: false };
const server = await serveHttp(
  async (request) => {
    if (new URL(request.url).pathname === "/slow") await sleep(500);
    return new Response("done");
  },
  { port: 0, signals: true, closeAfterDrain: [{ close: () => void (closed.value = true) }] },
);
process.on("exit", () => console.log(`exit closed=${closed.value}`));
console.log(server.url);
