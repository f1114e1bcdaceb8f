import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Clock } from "../core/clock.js";
import { closedError, invalid, MlcycleError } from "../core/errors.js";
import { checkJsonValue, checkKey, checkRecord, checkString, checkText, toWellFormed } from "../core/validation.js";
import type { ArtifactBody, ArtifactStore } from "../stores/artifact-store.js";
import type { MetricPoint, TrackingStore } from "../stores/tracking-store.js";
import { artifactBody } from "./artifact-body.js";
import type { MetricBuffer } from "./metric-buffer.js";
import { fromStoreError } from "./store-errors.js";
import { endRunOptionsSchema, parseOptions } from "./tracking-schemas.js";
import {
  checkArtifactPath,
  checkDisplayName,
  checkInteger,
  checkMetricValue,
  checkParams,
  checkTags,
  TRACKING_LIMITS,
} from "./tracking-validation.js";

/** The final statuses a run can be ended with. */
export type RunEndStatus = "finished" | "failed" | "killed";

/** Options of metric logging. */
export interface MetricOptions {
  /** Integer step (default 0; may be negative, gapped or out of order). */
  step?: number;
  /** Epoch ms (default now). */
  timestamp?: number;
}

/** A file stored for a run: run-relative path, content digest and size. */
export interface LoggedArtifact {
  path: string;
  digest: string;
  size: number;
}

/** A dataset a run consumed. */
export interface DatasetInput {
  /** Human-readable name, e.g. `iris-train`. */
  name: string;
  /** Content digest (sha256 recommended; any stable id up to 250 characters). */
  digest: string;
  /** The dataset's schema (any JSON value). */
  schema?: unknown;
  /** What the run used it for, e.g. `training`, `eval`. */
  context?: string;
  /** Where it came from: a URI, a table name. */
  source?: string;
}

/** What a {@link Run} needs from the workspace's tracking module. */
export interface RunHost {
  readonly store: TrackingStore;
  readonly artifacts: ArtifactStore;
  readonly clock: Clock;
  readonly buffer: MetricBuffer;
  /** True once the workspace is closing: runs refuse new writes. */
  isClosed(): boolean;
  /**
   * Runs one store operation: the closed error when the workspace is closed, and any error that is
   * not an `MlcycleError` wrapped (with it as `cause`).
   */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Stores a dataset input and records it in lineage. */
  recordInput(run: Run, input: DatasetInput): Promise<void>;
  /** Marks the run ended in the store and emits `run.ended`. */
  finishRun(run: Run, status: RunEndStatus, error?: string, options?: { recorded?: boolean }): Promise<void>;
}

/** Formats an error for a run's `error` field (name, message and stack, within 8000 characters). */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof Error)
    text = error.stack?.includes(error.message) ? error.stack : `${error.name}: ${error.message}`;
  else if (typeof error === "string") text = error;
  else {
    try {
      text = JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  // Stored, not refused: an error's text is not the caller's to fix.
  text = toWellFormed(text);
  return text.length > TRACKING_LIMITS.errorLength ? `${text.slice(0, TRACKING_LIMITS.errorLength - 1)}…` : text;
}

/**
 * An open run: logs params, tags, metrics (buffered), artifacts and dataset inputs, and ends with a
 * status. Get one from `ws.experiments.startRun()` or, better, `ws.experiments.withRun()`.
 *
 * @example
 * ```ts
 * const run = await ws.experiments.startRun({ experiment: "iris", params: { lr: 0.1 } });
 * for (let step = 0; step < 10; step++) run.logMetric("loss", 1 / (step + 1), { step });
 * await run.logArtifact("model.json", JSON.stringify(model));
 * await run.end(); // flushes metrics, status "finished"
 * ```
 */
export class Run implements AsyncDisposable {
  private ended = false;
  private readonly knownKeys = new Set<string>();

  constructor(
    private readonly host: RunHost,
    /** Run id (ULID). */
    readonly id: string,
    /** Id of the experiment the run belongs to. */
    readonly experimentId: string,
    /** The run's name. */
    readonly name: string,
    /** The parent run, for nested runs. */
    readonly parentRunId?: string,
  ) {}

  /** True until `end()` has been called. */
  get active(): boolean {
    return !this.ended;
  }

  private assertOpen(): void {
    if (this.host.isClosed()) throw closedError();
    if (this.ended)
      throw new MlcycleError("PRECONDITION", `run ${this.id} has ended; start a new run to log more`, {
        details: { runId: this.id },
      });
  }

  /** Logs one param; params are immutable (another value for a logged key is `CONFLICT`). */
  async logParam(key: string, value: string | number | boolean): Promise<void> {
    this.assertOpen();
    await this.logParams({ [checkKey("param key", key)]: value });
  }

  /** Logs up to 100 params at once, all or nothing. */
  async logParams(params: Record<string, string | number | boolean>): Promise<void> {
    this.assertOpen();
    const checked = checkParams(params);
    await this.host.call("log params", () => this.host.store.logParams(this.id, checked));
  }

  /** Sets (or overwrites) one tag. */
  async setTag(key: string, value: string): Promise<void> {
    this.assertOpen();
    await this.setTags({ [checkKey("tag key", key)]: value });
  }

  /** Sets up to 100 tags at once. */
  async setTags(tags: Record<string, string>): Promise<void> {
    this.assertOpen();
    const checked = checkTags(tags);
    await this.host.call("set tags", () => this.host.store.setTags(this.id, checked));
  }

  /** Removes a tag. */
  async deleteTag(key: string): Promise<void> {
    this.assertOpen();
    const checked = checkKey("tag key", key);
    await this.host.call("delete a tag", () => this.host.store.deleteTag(this.id, checked));
  }

  /** Renames the run (an ended run too). */
  async rename(name: string): Promise<void> {
    if (this.host.isClosed()) throw closedError();
    const checked = checkDisplayName("run name", name);
    await this.host.call("rename a run", () => this.host.store.updateRun(this.id, { name: checked }));
  }

  private point(key: string, value: unknown, step: number, timestamp: number): MetricPoint {
    if (!this.knownKeys.has(key)) {
      checkKey("metric key", key);
      this.knownKeys.add(key);
    }
    return { runId: this.id, key, value: checkMetricValue(key, value), step, timestamp };
  }

  private stepAndTime(opts: MetricOptions | undefined): [number, number] {
    if (opts !== undefined && (typeof opts !== "object" || opts === null || Array.isArray(opts)))
      throw invalid(["options"], "must be { step?, timestamp? }");
    const step = opts?.step === undefined ? 0 : checkInteger("step", opts.step);
    const timestamp = opts?.timestamp === undefined ? this.host.clock.now() : checkInteger("timestamp", opts.timestamp);
    return [step, timestamp];
  }

  /**
   * Buffers one metric point (NaN and ±Infinity allowed). Returns a promise only when the buffer is
   * full and a batch is being written; awaiting it applies backpressure.
   */
  logMetric(key: string, value: number, opts?: MetricOptions): void | Promise<void> {
    this.assertOpen();
    const [step, timestamp] = this.stepAndTime(opts);
    return this.host.buffer.add(this.point(key, value, step, timestamp));
  }

  /** Buffers up to 1000 metrics sharing one step and timestamp. */
  logMetrics(metrics: Record<string, number>, opts?: MetricOptions): void | Promise<void> {
    this.assertOpen();
    const entries = checkRecord("metrics", metrics, "an object of key → number");
    if (entries.length > TRACKING_LIMITS.metricsPerBatch)
      throw invalid(
        ["metrics"],
        `has ${entries.length} entries; one call takes at most ${TRACKING_LIMITS.metricsPerBatch}`,
        "too_big",
      );
    const [step, timestamp] = this.stepAndTime(opts);
    const points = entries.map(([k, v]) => this.point(k, v, step, timestamp));
    return this.host.buffer.addAll(points);
  }

  /**
   * Stores bytes under a run-relative path (content-addressed in the artifact store; the path →
   * digest mapping in the tracking store). Logging a path again replaces its content.
   */
  async logArtifact(path: string, body: ArtifactBody): Promise<LoggedArtifact> {
    this.assertOpen();
    checkArtifactPath(path);
    const checked = artifactBody(body);
    return this.host.call("log an artifact", async () => {
      const info = await this.host.artifacts.put(checked);
      if (typeof info?.digest !== "string" || !Number.isSafeInteger(info.size) || info.size < 0)
        throw new MlcycleError("INTERNAL", `the artifact store answered a put with ${JSON.stringify(info)}`, {
          details: { path },
        });
      await this.host.store.putArtifact(this.id, {
        path,
        digest: info.digest,
        size: info.size,
        createdAt: this.host.clock.now(),
      });
      return { path, digest: info.digest, size: info.size };
    });
  }

  /**
   * Stores a local file (streamed) as an artifact. `artifactPath` is the file's run-relative path
   * (default: the file's base name).
   */
  async logArtifactFile(localPath: string, artifactPath?: string): Promise<LoggedArtifact> {
    this.assertOpen();
    checkText("localPath", localPath, 4096);
    const target = checkArtifactPath(artifactPath ?? basename(localPath));
    return this.logFile(localPath, target);
  }

  private async logFile(localPath: string, target: string): Promise<LoggedArtifact> {
    const s = await stat(localPath).catch((e: unknown) => {
      throw new MlcycleError("NOT_FOUND", `local file '${localPath}' not found`, { cause: e });
    });
    if (!s.isFile()) throw invalid(["localPath"], `'${localPath}' is not a file`);
    return this.logArtifact(target, createReadStream(localPath) as AsyncIterable<Uint8Array>);
  }

  /**
   * Stores every file under a local folder (recursively; symbolic links are skipped), each under
   * `artifactPath/<relative path>` (default: at the run's root).
   */
  async logArtifactDir(localDir: string, artifactPath?: string): Promise<LoggedArtifact[]> {
    this.assertOpen();
    checkText("localDir", localDir, 4096);
    const prefix = artifactPath === undefined || artifactPath === "" ? "" : `${checkArtifactPath(artifactPath)}/`;
    const files: Array<{ local: string; target: string }> = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
        throw new MlcycleError("NOT_FOUND", `local folder '${dir}' not found`, { cause: e });
      });
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(join(dir, e.name), r);
        else if (e.isFile()) files.push({ local: join(dir, e.name), target: `${prefix}${r}` });
      }
    };
    await walk(localDir, "");
    // Every name is checked before the first file is stored: one bad name logs nothing.
    for (const f of files) checkArtifactPath(f.target, `artifact path of '${f.local}'`);
    const out: LoggedArtifact[] = [];
    for (const f of files) {
      this.assertOpen();
      out.push(await this.logFile(f.local, f.target));
    }
    return out;
  }

  /**
   * Records a dataset the run consumed: stored with the run and, in lineage, as an artifact
   * (`dataset:<digest>`) read by this run's execution node (`run:<id>`).
   */
  async logInput(dataset: DatasetInput): Promise<void> {
    this.assertOpen();
    if (typeof dataset !== "object" || dataset === null) throw invalid(["dataset"], "must be an object");
    checkDisplayName("dataset.name", dataset.name);
    checkString("dataset.digest", dataset.digest, 250);
    if (dataset.digest.trim() === "") throw invalid(["dataset", "digest"], "must not be empty");
    if (dataset.context !== undefined) checkString("dataset.context", dataset.context, 250);
    if (dataset.source !== undefined) checkString("dataset.source", dataset.source, 8000);
    let schema: unknown;
    if (dataset.schema !== undefined) {
      // Stored as JSON by every store, so normalise now: the memory store then reads back the same.
      checkJsonValue("dataset.schema", dataset.schema);
      const text = JSON.stringify(dataset.schema);
      if (text.length > 1_000_000) throw invalid(["dataset", "schema"], "is larger than 1 MB of JSON", "too_big");
      schema = JSON.parse(text);
    }
    const input = { ...dataset, ...(schema !== undefined ? { schema } : {}) };
    await this.host.call("record a dataset input", () => this.host.recordInput(this, input));
  }

  /**
   * Writes buffered metric points (of every run of the workspace) and waits for them; throws when
   * a batch holding this run's points failed.
   */
  async flush(): Promise<void> {
    if (this.host.isClosed()) throw closedError();
    await this.host.call("write metrics", () => this.host.buffer.flush(this.id));
  }

  /**
   * Flushes and ends the run (default `finished`); `opts.error` is stored as the run's error.
   * Ending an ended run does nothing.
   */
  async end(status: RunEndStatus = "finished", opts: { error?: unknown } = {}): Promise<void> {
    if (this.host.isClosed()) throw closedError();
    if (this.ended) return;
    if (status !== "finished" && status !== "failed" && status !== "killed")
      throw invalid(["status"], `must be finished, failed or killed, got '${String(status)}'`);
    parseOptions(endRunOptionsSchema, opts, "end options");
    this.ended = true;
    let flushError: unknown;
    try {
      await this.host.buffer.flush(this.id);
    } catch (e) {
      flushError = e;
    }
    const error = opts.error !== undefined ? describeError(opts.error) : undefined;
    await this.host.call("end a run", () =>
      this.host.finishRun(
        this,
        flushError && status === "finished" ? "failed" : status,
        error ?? (flushError ? describeError(flushError) : undefined),
      ),
    );
    if (flushError) throw fromStoreError(flushError, "write metrics", this.host.isClosed());
  }

  /**
   * Marks the run ended when its end (`status`, end time) was already committed by another writer as
   * part of a larger unit of work — a pipeline step commits its tracking run's end with its outcome:
   * stops its heartbeat and emits `run.ended`, writing nothing. Flush the run's metrics before that
   * unit is committed. Marking an ended run does nothing.
   */
  async markEnded(status: RunEndStatus): Promise<void> {
    if (this.host.isClosed()) throw closedError();
    if (this.ended) return;
    if (status !== "finished" && status !== "failed" && status !== "killed")
      throw invalid(["status"], `must be finished, failed or killed, got '${String(status)}'`);
    this.ended = true;
    await this.host.finishRun(this, status, undefined, { recorded: true });
  }

  /** Ends the run as `finished` when still open (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end();
  }
}
