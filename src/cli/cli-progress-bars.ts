import cliProgress from "cli-progress";
import type { CliOutput } from "./cli-errors.js";

/** Progress bars of long work, by name: drawn on stderr when it is a terminal, nothing otherwise. */
export interface ProgressBars {
  /** Sets the bar of `name` (made on first use) to `value` of `total`, with its `detail` text. */
  update(name: string, value: number, total: number, detail?: string): void;
  /** Draws the bars one last time and gives the terminal back (the cursor shown again). */
  stop(): void;
}

const NONE: ProgressBars = { update() {}, stop() {} };

/**
 * Progress bars (cli-progress) on the terminal of `io`: one line per name, `name |████░░| 40% | 400/1000
 * rows | detail | ETA 3s`. Without a terminal on stderr (a pipe, a file, CI logs), they draw nothing.
 */
export function progressBars(io: CliOutput, unit = "rows"): ProgressBars {
  const stream = io.terminal?.progress;
  if (!stream) return NONE;
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: `{name} |{bar}| {percentage}% | {value}/{total} ${unit} | {detail}ETA {eta_formatted}`,
      barCompleteChar: "█",
      barIncompleteChar: "░",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const width = { name: 0 };
  return {
    update(name, value, total, detail = "") {
      width.name = Math.max(width.name, name.length);
      let bar = bars.get(name);
      const payload = { name: name.padEnd(width.name), detail: detail ? `${detail} | ` : "" };
      if (!bar) {
        bar = multi.create(Math.max(total, value, 1), value, payload);
        bars.set(name, bar);
      } else {
        bar.setTotal(Math.max(total, value, 1));
        bar.update(value, payload);
      }
    },
    stop() {
      multi.stop();
    },
  };
}
