import type { Clock } from "../core/clock.js";
import { closedError, invalid, isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { canonicalJson } from "../core/hash.js";
import { newId } from "../core/ids.js";
import { checkName } from "../core/validation.js";
import type { Lineage } from "../lineage/lineage.js";
import { type WebhookSender, type WebhookSenderOptions, webhookSender } from "../registry/webhooks.js";
import type { Deployment } from "../serving/deployment-types.js";
import type { ServingEvents } from "../serving/serving-events.js";
import type {
  AlertQuery,
  AlertRecord,
  MonitorRecord,
  MonitorStore,
  WindowResultQuery,
  WindowResultRecord,
} from "../stores/monitor-store.js";
import type { PredictionLogStore } from "../stores/prediction-log-store.js";
import { type MonitorExporter, type MonitorMetrics, metricsHandler, prometheusText } from "./metrics-exporter.js";
import { Monitor } from "./monitor.js";
import type { MonitorEvents } from "./monitor-events.js";
import { type MonitorConfig, type MonitorOptions, resolveMonitorOptions } from "./monitor-settings.js";
import type { MonitorReference } from "./reference-sources.js";
import type { WindowReport } from "./window-report.js";

/** What `ws.monitors` is built with (by the workspace). */
export interface MonitorsOptions {
  store: MonitorStore;
  predictions: PredictionLogStore;
  /** The open deployments of this process (flushed before their log is read; their failed calls counted). */
  deployments: { list(): Deployment[] };
  lineage: Lineage;
  events: EventBus<MonitorEvents & ServingEvents>;
  clock: Clock;
}

/** A stored monitor as `ws.monitors.list()` reports it. */
export interface MonitorSummary {
  name: string;
  /** The deployment it watches, when it watches one. */
  deployment?: string;
  window: { ms: number } | { rows: number };
  revision: number;
  createdAt: number;
  updatedAt: number;
  /** Open in this process. */
  open: boolean;
  openAlerts: number;
  /** The latest closed window, when there is one. */
  latest?: { window: number; start: number; end: number; rows: number; closedAt: number };
}

/** A monitor's state as `ws.monitors.status(name)` reports it. */
export interface MonitorStatus extends MonitorSummary {
  /** Its settings as stored. */
  config: MonitorConfig;
  /** Its reference profiles, oldest first. */
  references: MonitorReference[];
  /** The latest closed window's figures and report. */
  latestResult?: WindowResultRecord;
  /** Its open alerts, newest first. */
  alerts: AlertRecord[];
}

/** Options of {@link Monitors.notify}: a webhook sender's, without the events (the monitor events). */
export type MonitorWebhookOptions = Omit<WebhookSenderOptions<MonitorEvents>, "events"> & {
  /** Which events to send (default `monitor.alert` and `monitor.resolved`). */
  events?: Array<keyof MonitorEvents>;
};

function windowOf(config: MonitorConfig): { ms: number } | { rows: number } {
  return config.window.kind === "time" ? { ms: config.window.ms } : { rows: config.window.rows };
}

/**
 * `ws.monitors`: monitors of deployments and of rows given directly, their reference profiles,
 * windows, alerts and exporters. Monitors are stored (the metadata store's monitor port), so every
 * process of a service opens the same monitor by name and feeds the same windows; `list`,
 * `status` and `alerts` read the store, whichever process wrote it.
 *
 * @example
 * ```ts
 * const monitor = await ws.monitors.open("churn", {
 *   deployment: "churn@champion", features: ["sessions", "spend"], label: "churned",
 *   window: { ms: 3_600_000 }, rules: [{ name: "drift", figure: "dataset_drift", threshold: 1, windows: 2 }],
 * });
 * await monitor.setReference({ trainingSet }, { model: await ws.registry.getVersion("churn@champion") });
 * ws.events.on("monitor.alert", (a) => console.log(a.message));
 * ```
 */
export class Monitors {
  private readonly opened = new Map<string, { monitor: Monitor; config: string }>();
  private readonly opening = new Map<string, Promise<Monitor>>();
  private readonly exporters = new Set<MonitorExporter>();
  private readonly senders = new Set<WebhookSender>();
  private readonly unsubscribe: Array<() => void> = [];
  private closing: Promise<void> | undefined;

  /** Built by the workspace (`ws.monitors`). */
  constructor(private readonly options: MonitorsOptions) {
    const note = (deployment: string, model: { model: string; version: number; versionId: string }) => {
      for (const { monitor } of this.opened.values()) if (monitor.deployment === deployment) monitor.noteServing(model);
    };
    this.unsubscribe.push(
      options.events.on("deployment.ready", (e) =>
        note(e.deployment, { model: e.model, version: e.version, versionId: e.versionId }),
      ),
      options.events.on("deployment.swapped", (e) => {
        if (e.step === undefined) note(e.deployment, { model: e.model, version: e.to, versionId: e.toVersionId });
      }),
    );
  }

  /**
   * Opens a monitor in this process: creates it in the store, or attaches to the stored one of that
   * name — its settings replaced by these when they differ (compare-and-set; the window can never
   * change: `CONFLICT`, create another monitor). Every process of a service opens it with the same
   * options. `CONFLICT` too when this process has it open with other settings.
   */
  async open(name: string, options: MonitorOptions): Promise<Monitor> {
    this.live();
    checkName("name", name);
    const { config, local } = resolveMonitorOptions(options);
    const text = canonicalJson(config);
    const here = this.opened.get(name);
    if (here) {
      if (here.config === text) return here.monitor;
      throw new MlcycleError(
        "CONFLICT",
        `monitor '${name}' is open in this process with other settings: close it first`,
        { details: { monitor: name } },
      );
    }
    const pending = this.opening.get(name);
    if (pending) {
      await pending.catch(() => undefined);
      return this.open(name, options);
    }
    const p = (async () => {
      const record = await this.stored(name, config, text);
      const monitor = new Monitor(record, config, local, {
        store: this.options.store,
        predictions: this.options.predictions,
        lineage: this.options.lineage,
        events: this.options.events,
        clock: this.options.clock,
        deployment: (d) => this.deployment(d),
        onWindow: (r) => void this.export(r, monitor.deployment),
        onClosed: () => {
          if (this.opened.get(name)?.monitor === monitor) this.opened.delete(name);
        },
      });
      const serving = config.source.kind === "deployment" ? this.deployment(config.source.deployment) : undefined;
      if (serving) {
        const d = serving.describe();
        monitor.noteServing({ model: d.model, version: d.version, versionId: d.versionId });
      }
      await monitor.start();
      this.opened.set(name, { monitor, config: text });
      return monitor;
    })();
    this.opening.set(name, p);
    try {
      return await p;
    } finally {
      this.opening.delete(name);
    }
  }

  /** A monitor open in this process; `NOT_FOUND` naming the open ones. */
  get(name: string): Monitor {
    this.live();
    const m = this.opened.get(name);
    if (!m)
      throw notFound(
        "open monitor",
        String(name),
        this.opened.size
          ? `open here: ${[...this.opened.keys()].sort().join(", ")}`
          : "open it with ws.monitors.open(name, options)",
      );
    return m.monitor;
  }

  /** Every stored monitor, by creation time, with its open alerts and latest window. */
  async list(): Promise<MonitorSummary[]> {
    this.live();
    const records = await this.options.store.listMonitors();
    return Promise.all(records.map((r) => this.summary(r)));
  }

  /** A stored monitor's settings, references, latest window and open alerts; `NOT_FOUND` when there is none. */
  async status(name: string): Promise<MonitorStatus> {
    this.live();
    checkName("name", name);
    const record = await this.options.store.getMonitor(name);
    if (!record) throw notFound("monitor", name);
    const summary = await this.summary(record);
    const [references, latestResult, alerts] = await Promise.all([
      this.options.store.listReferences(name),
      this.options.store.listWindowResults(name, { order: "desc", limit: 1 }),
      this.options.store.listAlerts({ monitor: name, status: "open" }),
    ]);
    return {
      ...summary,
      config: record.config as unknown as MonitorConfig,
      references,
      ...(latestResult[0] ? { latestResult: latestResult[0] } : {}),
      alerts,
    };
  }

  /** Alerts of every monitor (or of one), newest first; `{ status: "open" }` for the open ones. */
  async alerts(query: AlertQuery = {}): Promise<AlertRecord[]> {
    this.live();
    return this.options.store.listAlerts(query);
  }

  /** One alert by id; `NOT_FOUND` when there is none. */
  async alert(id: string): Promise<AlertRecord> {
    this.live();
    const a = await this.options.store.getAlert(id);
    if (!a) throw notFound("alert", String(id));
    return a;
  }

  /** A stored monitor's closed windows (see {@link WindowResultQuery}). */
  async windows(name: string, query: WindowResultQuery = {}): Promise<WindowResultRecord[]> {
    this.live();
    return this.options.store.listWindowResults(name, query);
  }

  /** Removes a monitor (closing it here first) with its references, windows and alerts; false when there was none. */
  async delete(name: string): Promise<boolean> {
    this.live();
    checkName("name", name);
    await this.opened.get(name)?.monitor.close();
    return this.options.store.deleteMonitor(name);
  }

  /** `check()` of every monitor open in this process; the reports of the windows closed. */
  async check(): Promise<WindowReport[]> {
    this.live();
    const out: WindowReport[] = [];
    for (const { monitor } of [...this.opened.values()]) out.push(...(await monitor.check()));
    return out;
  }

  /** Adds an exporter: it receives the figures of every window closed in this process. Returns a function that removes it. */
  addExporter(exporter: MonitorExporter): () => void {
    this.live();
    if (typeof exporter?.export !== "function" || typeof exporter.shutdown !== "function")
      throw invalid(["exporter"], "must be a MonitorExporter: { export(metrics), shutdown() }");
    this.exporters.add(exporter);
    return () => this.exporters.delete(exporter);
  }

  /** The latest stored window's figures and the open alerts of every stored monitor (whichever process closed them). */
  async metrics(): Promise<MonitorMetrics[]> {
    this.live();
    const records = await this.options.store.listMonitors();
    return Promise.all(
      records.map(async (r) => {
        const [latest] = await this.options.store.listWindowResults(r.name, { order: "desc", limit: 1 });
        const open = await this.options.store.listAlerts({ monitor: r.name, status: "open" });
        const config = r.config as unknown as MonitorConfig;
        return this.metricsOf(
          r.name,
          config.source?.kind === "deployment" ? config.source.deployment : undefined,
          latest,
          open,
        );
      }),
    );
  }

  /** {@link metrics} in the Prometheus text format. */
  async prometheus(): Promise<string> {
    return prometheusText(await this.metrics());
  }

  /**
   * A fetch-style handler (`(Request) => Promise<Response>`) serving {@link prometheus}: mount it as
   * `GET /metrics` in any framework (one call).
   *
   * @example
   * ```ts
   * const metrics = ws.monitors.metricsHandler();
   * const res = await metrics(new Request("http://localhost/metrics"));   // text/plain; version=0.0.4
   * ```
   */
  metricsHandler(): (request: Request) => Promise<Response> {
    return metricsHandler(() => this.metrics());
  }

  /**
   * Sends monitor events to a webhook through the workspace's webhook sender (signed, retried):
   * `monitor.alert` and `monitor.resolved` by default. Closed with `ws.monitors` (or call `close()`).
   *
   * @example
   * ```ts
   * ws.monitors.notify({ url: "https://hooks.example.com/mlcycle", secret: process.env.HOOK_SECRET! });
   * ```
   */
  notify(options: MonitorWebhookOptions): WebhookSender {
    this.live();
    const { events, ...rest } = options ?? ({} as MonitorWebhookOptions);
    const sender = webhookSender<MonitorEvents>(this.options.events as unknown as EventBus<MonitorEvents>, {
      ...rest,
      events: events ?? ["monitor.alert", "monitor.resolved"],
    });
    this.senders.add(sender);
    return sender;
  }

  /** Closes every monitor open here (writing what they aggregated), the webhook senders and the exporters. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const u of this.unsubscribe) u();
      await Promise.all([...this.opening.values()].map((p) => p.catch(() => undefined)));
      const results = await Promise.allSettled([...this.opened.values()].map(({ monitor }) => monitor.close()));
      await Promise.allSettled([...this.senders].map((s) => s.close()));
      await Promise.allSettled([...this.exporters].map((e) => e.shutdown()));
      const failure = results.find((r) => r.status === "rejected");
      if (failure) throw failure.reason;
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private live(): void {
    if (this.closing) throw closedError("ws.monitors");
  }

  private deployment(name: string): Deployment | undefined {
    try {
      return this.options.deployments.list().find((d) => d.name === name);
    } catch {
      return undefined;
    }
  }

  /** The stored monitor of this name with these settings: created, or updated by compare-and-set. */
  private async stored(name: string, config: MonitorConfig, text: string): Promise<MonitorRecord> {
    const { store, clock } = this.options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await store.getMonitor(name);
      if (!existing) {
        try {
          return await store.createMonitor({
            id: newId(clock.now()),
            name,
            config: config as unknown as Record<string, unknown>,
            createdAt: Math.floor(clock.now()),
          });
        } catch (error) {
          if (isMlcycleError(error, "CONFLICT")) continue;
          throw error;
        }
      }
      if (canonicalJson(existing.config) === text) return existing;
      const before = existing.config as unknown as MonitorConfig;
      if (canonicalJson(before.window) !== canonicalJson(config.window))
        throw new MlcycleError(
          "CONFLICT",
          `monitor '${name}' cuts windows ${JSON.stringify(windowOf(before))}, not ${JSON.stringify(windowOf(config))}: windows cannot change; open a monitor of another name`,
          { details: { monitor: name } },
        );
      try {
        return await store.updateMonitor(name, existing.revision, {
          config: config as unknown as Record<string, unknown>,
          updatedAt: Math.floor(clock.now()),
        });
      } catch (error) {
        if (isMlcycleError(error, "CONFLICT")) continue;
        throw error;
      }
    }
    throw new MlcycleError("CONFLICT", `monitor '${name}' kept changing while it was opened: try again`, {
      details: { monitor: name },
    });
  }

  private async summary(r: MonitorRecord): Promise<MonitorSummary> {
    const config = r.config as unknown as MonitorConfig;
    const [latest] = await this.options.store.listWindowResults(r.name, { order: "desc", limit: 1 });
    const open = await this.options.store.listAlerts({ monitor: r.name, status: "open" });
    return {
      name: r.name,
      ...(config.source?.kind === "deployment" ? { deployment: config.source.deployment } : {}),
      window: windowOf(config),
      revision: r.revision,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      open: this.opened.has(r.name),
      openAlerts: open.length,
      ...(latest
        ? {
            latest: {
              window: latest.window,
              start: latest.start,
              end: latest.end,
              rows: latest.rows,
              closedAt: latest.closedAt,
            },
          }
        : {}),
    };
  }

  private metricsOf(
    monitor: string,
    deployment: string | undefined,
    latest: WindowResultRecord | undefined,
    open: AlertRecord[],
  ): MonitorMetrics {
    return {
      monitor,
      ...(deployment !== undefined ? { deployment } : {}),
      ...(latest
        ? {
            window: latest.window,
            start: latest.start,
            end: latest.end,
            closedAt: latest.closedAt,
            ...(latest.reference !== undefined ? { reference: latest.reference } : {}),
            ...(latest.model ? { model: latest.model } : {}),
          }
        : {}),
      figures: latest?.figures ?? {},
      openAlerts: open.map((a) => ({
        id: a.id,
        rule: a.rule,
        severity: a.severity,
        figure: a.figure,
        value: a.value,
        openedAt: a.openedAt,
      })),
    };
  }

  private async export(result: WindowResultRecord, deployment: string | undefined): Promise<void> {
    if (this.exporters.size === 0) return;
    const open = await this.options.store.listAlerts({ monitor: result.monitor, status: "open" }).catch(() => []);
    const metrics = this.metricsOf(result.monitor, deployment, result, open);
    for (const e of this.exporters) {
      try {
        await e.export(metrics);
      } catch {
        // An exporter failing never breaks the monitor.
      }
    }
  }
}
