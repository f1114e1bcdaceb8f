import { createHmac, timingSafeEqual } from "node:crypto";
import { invalid, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";

/** The part of `fetch` the sender uses, so a test or a proxy-aware client can stand in. */
export type WebhookFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; headers?: { get(name: string): string | null } }>;

/**
 * What the sender subscribes to: `ws.events` or anything with the same `on`, over an event map `E`
 * (event name → payload; a workspace's is `MlcycleEvents`).
 */
export interface WebhookEventSource<E extends object = Record<string, unknown>> {
  on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): () => void;
}

/** Options of {@link webhookSender}, over the event map `E` of the source. */
export interface WebhookSenderOptions<E extends object = Record<string, unknown>> {
  /** Where to POST (http or https). */
  url: string;
  /** Shared secret of the HMAC-SHA256 signature. */
  secret: string;
  /** Event names to forward, e.g. `["model.alias.moved", "model.version.created"]`. */
  events: (keyof E & string)[];
  /** Further attempts after a failed one (default 3). */
  retries?: number;
  /** Delay before the first retry in ms, doubled at each retry with ±25% jitter (default 500). */
  backoffMs?: number;
  /** Upper bound of one retry delay in ms (default 30000). */
  maxBackoffMs?: number;
  /** Time allowed for one attempt in ms (default 10000). */
  timeoutMs?: number;
  /** HTTP client (default the global `fetch`). */
  fetch?: WebhookFetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** Called once per event with the final outcome (delivered or given up). */
  onDelivery?: (delivery: WebhookDelivery) => void;
}

/** The outcome of delivering one event. */
export interface WebhookDelivery {
  id: string;
  event: string;
  delivered: boolean;
  attempts: number;
  /** Last HTTP status, when a response came. */
  status?: number;
  /** Last error, when the final attempt failed without a 2xx. */
  error?: string;
}

/** A running webhook sender. */
export interface WebhookSender extends AsyncDisposable {
  /** Counts since start. */
  readonly stats: { delivered: number; failed: number; pending: number };
  /** Resolves when every delivery started so far has finished (delivered or given up). */
  flush(): Promise<void>;
  /** Stops listening, lets requests in flight finish and gives up retries still waiting. */
  close(): Promise<void>;
}

/** The JSON body of a webhook request for event `K` of the event map `E`. */
export interface WebhookBody<E extends object = Record<string, unknown>, K extends keyof E = keyof E> {
  /** Delivery id (ULID): the same across retries, so receivers can drop duplicates. */
  id: string;
  event: K;
  /** When the event was sent, epoch ms (also in `X-Mlcycle-Timestamp`). */
  timestamp: number;
  payload: E[K];
}

/**
 * The signature header value for a request: `sha256=` + hex HMAC-SHA256 of `"<timestamp>.<body>"`.
 * Signing the timestamp with the body lets receivers reject replays of old requests.
 */
export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * Checks a received webhook: the signature (constant-time) and, by default, that the timestamp is
 * within five minutes of now.
 *
 * @example
 * ```ts
 * const ok = verifyWebhookSignature({ secret, body: rawBody,
 *   timestamp: req.headers["x-mlcycle-timestamp"], signature: req.headers["x-mlcycle-signature"] });
 * ```
 */
export function verifyWebhookSignature(input: {
  secret: string;
  body: string;
  timestamp: string | number | undefined | null;
  signature: string | undefined | null;
  /** Allowed clock difference in ms (default 300000; `Infinity` disables the check). */
  toleranceMs?: number;
  now?: number;
}): boolean {
  if (input.signature == null || input.timestamp == null) return false;
  const ts = Number(input.timestamp);
  if (!Number.isFinite(ts)) return false;
  const tolerance = input.toleranceMs ?? 300_000;
  if (Math.abs((input.now ?? Date.now()) - ts) > tolerance) return false;
  const expected = Buffer.from(signWebhook(input.secret, input.timestamp, input.body));
  const given = Buffer.from(String(input.signature));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Forwards workspace events to an HTTP endpoint: each event is POSTed as JSON ({@link WebhookBody})
 * with `X-Mlcycle-Event`, `X-Mlcycle-Delivery`, `X-Mlcycle-Timestamp` and `X-Mlcycle-Signature:
 * sha256=<hmac hex>` headers, retried with exponential backoff on network errors, timeouts, 408, 429
 * and 5xx (other 4xx answers are final). Events are delivered independently, so order is not
 * guaranteed; the delivery id stays the same across retries.
 *
 * @example
 * ```ts
 * const hook = webhookSender(ws, {                    // or ws.events
 *   url: "https://ci.example.com/hooks/mlcycle", secret: process.env.HOOK_SECRET!,
 *   events: ["model.alias.moved", "model.approval.given"], retries: 5,
 * });
 * // …
 * await hook.close();
 * ```
 */
export function webhookSender<E extends object>(
  source: EventBus<E> | { readonly events: EventBus<E> },
  options: WebhookSenderOptions<NoInfer<E>>,
): WebhookSender;
/** Forwards the events of any source with an `on` over the event map `E` (give `E` explicitly). */
export function webhookSender<E extends object>(
  source: WebhookEventSource<E> | { readonly events: WebhookEventSource<E> },
  options: WebhookSenderOptions<NoInfer<E>>,
): WebhookSender;
export function webhookSender<E extends object>(
  source: WebhookEventSource<E> | { readonly events: WebhookEventSource<E> },
  options: WebhookSenderOptions<E>,
): WebhookSender {
  const bus: WebhookEventSource<E> =
    "events" in source && typeof source.events?.on === "function" ? source.events : (source as WebhookEventSource<E>);
  if (typeof bus?.on !== "function") throw invalid(["source"], "must be ws.events or a workspace");
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw invalid(["url"], `'${String(options.url).slice(0, 200)}' is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid(["url"], "must be http or https");
  if (typeof options.secret !== "string" || options.secret.length === 0)
    throw invalid(["secret"], "must be a non-empty string");
  if (!Array.isArray(options.events) || options.events.length === 0)
    throw invalid(["events"], "must list at least one event name");
  const retries = options.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0) throw invalid(["retries"], "must be a non-negative integer");
  const backoff = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch: WebhookFetch = options.fetch ?? (globalThis.fetch as unknown as WebhookFetch);
  if (typeof doFetch !== "function")
    throw new MlcycleError("UNAVAILABLE", "no fetch available: pass options.fetch (Node ≥ 18 has one)");

  const pending = new Set<Promise<void>>();
  const stats = { delivered: 0, failed: 0, pending: 0 };
  const closing = new AbortController();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closing.signal.aborted) return resolve();
      // The abort listener is removed when the timer fires, so retries do not pile listeners up.
      const wake = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        closing.signal.removeEventListener("abort", wake);
        resolve();
      }, ms);
      closing.signal.addEventListener("abort", wake, { once: true });
    });

  const deliver = async (event: string, payload: unknown): Promise<void> => {
    const id = newId();
    const timestamp = Date.now();
    const body = JSON.stringify({ id, event, timestamp, payload });
    const headers: Record<string, string> = {
      ...(options.headers ?? {}),
      "content-type": "application/json",
      "user-agent": "mlcycle-webhook",
      "x-mlcycle-event": event,
      "x-mlcycle-delivery": id,
      "x-mlcycle-timestamp": String(timestamp),
      "x-mlcycle-signature": signWebhook(options.secret, timestamp, body),
    };
    const result: WebhookDelivery = { id, event, delivered: false, attempts: 0 };
    for (let attempt = 0; attempt <= retries; attempt++) {
      result.attempts = attempt + 1;
      let retryAfterMs = 0;
      try {
        const res = await doFetch(url.href, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        result.status = res.status;
        if (res.ok) {
          result.delivered = true;
          delete result.error;
          break;
        }
        result.error = `HTTP ${res.status}`;
        if (!RETRYABLE(res.status)) break;
        const ra = Number(res.headers?.get("retry-after"));
        if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
      } catch (error) {
        result.error = (error as Error)?.message ?? String(error);
      }
      if (attempt === retries || closing.signal.aborted) break;
      const base = Math.min(maxBackoff, backoff * 2 ** attempt);
      await sleep(Math.min(maxBackoff, Math.max(retryAfterMs, base * (0.75 + Math.random() * 0.5))));
      if (closing.signal.aborted) break;
    }
    if (result.delivered) stats.delivered++;
    else stats.failed++;
    options.onDelivery?.(result);
  };

  const unsubscribe = options.events.map((name) =>
    bus.on(name, (payload) => {
      stats.pending++;
      const p = deliver(name, payload)
        .catch(() => undefined)
        .finally(() => {
          stats.pending--;
          pending.delete(p);
        });
      pending.add(p);
    }),
  );

  const flush = async () => {
    while (pending.size) await Promise.all([...pending]);
  };
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      for (const u of unsubscribe) u();
      closing.abort();
      await flush();
    })();
    return closed;
  };
  return {
    stats,
    flush,
    close,
    [Symbol.asyncDispose]: close,
  };
}
