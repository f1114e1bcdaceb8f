import type { StepLogEntry } from "../stores/pipeline-store.js";
import type { StepLogger } from "./step.js";

/** Most log lines kept per step run; later lines are counted, not stored. */
export const MAX_LOG_LINES = 1000;

/** A logger that buffers lines for the step record (written once, with the outcome). */
export class BufferedStepLogger implements StepLogger {
  readonly lines: StepLogEntry[] = [];
  dropped = 0;

  constructor(private readonly now: () => number) {}

  private add(level: StepLogEntry["level"], message: string, data?: unknown): void {
    if (this.lines.length >= MAX_LOG_LINES) {
      this.dropped++;
      return;
    }
    const e: StepLogEntry = { at: this.now(), level, message: String(message) };
    if (data !== undefined) e.data = data;
    this.lines.push(e);
  }

  debug(message: string, data?: unknown) {
    this.add("debug", message, data);
  }
  info(message: string, data?: unknown) {
    this.add("info", message, data);
  }
  warn(message: string, data?: unknown) {
    this.add("warn", message, data);
  }
  error(message: string, data?: unknown) {
    this.add("error", message, data);
  }

  /** The lines to store, with a final note when some were dropped. */
  entries(): StepLogEntry[] {
    if (!this.dropped) return this.lines;
    return [...this.lines, { at: this.now(), level: "warn", message: `${this.dropped} more log lines were dropped` }];
  }
}
