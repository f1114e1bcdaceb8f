import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspace,
  functionModel,
  isMlcycleError,
  signWebhook,
  verifyWebhookSignature,
  type WebhookDelivery,
  webhookSender,
} from "../../src/index.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

const SECRET = "s3cret";
let server: Server;
let base = "";
const received: Received[] = [];
// Status codes to answer, per path, one per request; 200 when the list is used up.
const plan = new Map<string, number[]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const status = plan.get(req.url ?? "")?.shift() ?? 200;
      received.push({ headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("webhookSender", () => {
  it("POSTs signed JSON for the chosen events and retries failures until one succeeds", async () => {
    await using ws = await createWorkspace();
    plan.set("/ok", [500, 503]);
    const deliveries: WebhookDelivery[] = [];
    const hook = webhookSender(ws, {
      url: `${base}/ok`,
      secret: SECRET,
      events: ["model.alias.moved"],
      retries: 3,
      backoffMs: 5,
      onDelivery: (d) => deliveries.push(d),
    });
    await ws.registry.register("iris", { model: functionModel("f", {}) });
    await ws.registry.setAlias("iris", "champion", 1, { actor: "ana", reason: "first" });
    await hook.flush();
    const mine = received.filter((r) => r.headers["x-mlcycle-event"] === "model.alias.moved");
    expect(mine.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(new Set(mine.map((r) => r.headers["x-mlcycle-delivery"])).size).toBe(1);
    for (const r of mine) {
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["x-mlcycle-signature"]).toBe(
        signWebhook(SECRET, String(r.headers["x-mlcycle-timestamp"]), r.body),
      );
      expect(
        verifyWebhookSignature({
          secret: SECRET,
          body: r.body,
          timestamp: r.headers["x-mlcycle-timestamp"] as string,
          signature: r.headers["x-mlcycle-signature"] as string,
        }),
      ).toBe(true);
      expect(
        verifyWebhookSignature({
          secret: "wrong",
          body: r.body,
          timestamp: r.headers["x-mlcycle-timestamp"] as string,
          signature: r.headers["x-mlcycle-signature"] as string,
        }),
      ).toBe(false);
    }
    const body = JSON.parse(mine[0].body);
    expect(body).toMatchObject({
      event: "model.alias.moved",
      payload: { model: "iris", alias: "champion", to: 1, actor: "ana", reason: "first", action: "set" },
    });
    expect(body.timestamp).toBe(Number(mine[0].headers["x-mlcycle-timestamp"]));
    expect(deliveries).toMatchObject([{ event: "model.alias.moved", delivered: true, attempts: 3, status: 200 }]);
    expect(hook.stats).toEqual({ delivered: 1, failed: 0, pending: 0 });
    // Events not listed are not sent.
    expect(received.some((r) => r.headers["x-mlcycle-event"] === "model.version.created")).toBe(false);
    await hook.close();
    await ws.registry.setAlias("iris", "challenger", 1);
    expect(hook.stats.delivered).toBe(1);
  });

  it("gives up after the retries, and at once on a 4xx answer", async () => {
    await using ws = await createWorkspace();
    plan.set("/down", [500, 500, 500]);
    plan.set("/reject", [400]);
    const outcomes: WebhookDelivery[] = [];
    const down = webhookSender(ws.events, {
      url: `${base}/down`,
      secret: SECRET,
      events: ["model.version.created"],
      retries: 2,
      backoffMs: 1,
      onDelivery: (d) => outcomes.push(d),
    });
    const reject = webhookSender(ws.events, {
      url: `${base}/reject`,
      secret: SECRET,
      events: ["model.version.created"],
      retries: 5,
      backoffMs: 1,
      onDelivery: (d) => outcomes.push(d),
    });
    await ws.registry.register("iris", { model: functionModel("f", {}) });
    await Promise.all([down.flush(), reject.flush()]);
    expect(outcomes.map((o) => [o.delivered, o.attempts, o.status]).sort()).toEqual([
      [false, 1, 400],
      [false, 3, 500],
    ]);
    expect(down.stats.failed).toBe(1);
    await Promise.all([down.close(), reject.close()]);
  });

  it("retries network errors", async () => {
    await using ws = await createWorkspace();
    let calls = 0;
    const outcomes: WebhookDelivery[] = [];
    const hook = webhookSender(ws.events, {
      url: "http://127.0.0.1:9/hook",
      secret: SECRET,
      events: ["model.approval.given"],
      retries: 2,
      backoffMs: 1,
      fetch: async (url, init) => {
        calls++;
        if (calls < 3) throw new Error("ECONNREFUSED");
        return fetch(`${base}/net`, init).then((r) => {
          expect(url).toBe("http://127.0.0.1:9/hook");
          return r;
        });
      },
      onDelivery: (d) => outcomes.push(d),
    });
    await ws.registry.register("iris", { model: functionModel("f", {}) });
    await ws.registry.approve("iris@1", { actor: "lead" });
    await hook.flush();
    expect(outcomes).toMatchObject([{ delivered: true, attempts: 3 }]);
    await hook.close();
  });

  it("gives up waiting retries on close", async () => {
    await using ws = await createWorkspace();
    const outcomes: WebhookDelivery[] = [];
    const hook = webhookSender(ws.events, {
      url: `${base}/never`,
      secret: SECRET,
      events: ["model.version.created"],
      retries: 5,
      backoffMs: 60_000,
      fetch: async () => {
        throw new Error("ECONNREFUSED");
      },
      onDelivery: (d) => outcomes.push(d),
    });
    await ws.registry.register("iris", { model: functionModel("f", {}) });
    await hook.close();
    expect(outcomes).toMatchObject([{ delivered: false, attempts: 1, error: "ECONNREFUSED" }]);
  });

  it("rejects bad options", () => {
    const events = { on: () => () => undefined };
    const bad = [
      { url: "not a url", secret: "s", events: ["model.alias.moved"] },
      { url: "ftp://x", secret: "s", events: ["model.alias.moved"] },
      { url: base, secret: "", events: ["model.alias.moved"] },
      { url: base, secret: "s", events: [] },
      { url: base, secret: "s", events: ["model.alias.moved"], retries: -1 },
    ];
    for (const o of bad) {
      let e: unknown;
      try {
        webhookSender(events, o as never);
      } catch (x) {
        e = x;
      }
      expect(isMlcycleError(e, "VALIDATION")).toBe(true);
    }
    expect(
      verifyWebhookSignature({ secret: "s", body: "{}", timestamp: 0, signature: signWebhook("s", 0, "{}") }),
    ).toBe(false);
    expect(
      verifyWebhookSignature({
        secret: "s",
        body: "{}",
        timestamp: 0,
        signature: signWebhook("s", 0, "{}"),
        toleranceMs: Number.POSITIVE_INFINITY,
      }),
    ).toBe(true);
  });
});
