import { describe, expectTypeOf, it } from "vitest";
import { EventBus, type WebhookSender, type Workspace, webhookSender } from "../../src/index.js";

describe("webhookSender types", () => {
  it("takes event names of the source's own event map", () => {
    const ws = {} as Workspace;
    const options = { url: "https://example.com", secret: "s" };
    expectTypeOf(
      webhookSender(ws, { ...options, events: ["model.alias.moved", "run.ended"] }),
    ).toEqualTypeOf<WebhookSender>();
    webhookSender(ws.events, { ...options, events: ["features.ingested"] });
    // @ts-expect-error not an event of a workspace
    webhookSender(ws, { ...options, events: ["model.moved"] });
    const bus = new EventBus<{ "job.done": { id: string } }>();
    webhookSender(bus, { ...options, events: ["job.done"] });
    // @ts-expect-error the bus has no such event
    webhookSender(bus, { ...options, events: ["model.alias.moved"] });
  });
});
