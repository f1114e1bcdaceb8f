// Child process: opens the SQLite file given as argv[2] with its own connection and, by argv[3],
// `feed`s monitor 'shared' (reserves row positions and appends one partial per call, each appended
// twice as a retry would), `alert`s (opens alert rule-i under its own id, and opens then resolves
// the 'flap' rule), or adds `reference`s, argv[4] times, argv[5] naming this writer. Prints what it
// did as JSON.
import { isMlcycleError, sqliteStore } from "../../src/index.js";

const [file, mode, times, writer] = process.argv.slice(2) as [string, string, string, string];
const store = sqliteStore({ path: file });
await store.init?.();
const monitors = store.monitors;
if (!monitors) throw new Error("the SQLite metadata store has no monitor store");
const n = Number(times);
const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const out: Record<string, unknown> = { writer };
if (mode === "feed") {
  const firsts: number[] = [];
  for (let i = 1; i <= n; i++) {
    const first = await monitors.reserveRows("shared", i);
    firsts.push(first);
    const p = { monitor: "shared", window: i % 7, producer: writer, seq: i, rows: i, data: { first }, at: i };
    await monitors.appendPartials([p]);
    await monitors.appendPartials([{ ...p, rows: 1_000_000 }]);
  }
  out.firsts = firsts;
} else if (mode === "alert") {
  const opened: number[] = [];
  let flaps = 0;
  let lostResolves = 0;
  for (let i = 1; i <= n; i++) {
    const r = await monitors.openAlert(alert(`${writer}-${i}`, `rule-${i}`, i));
    if (r.opened) opened.push(i);
    const flap = await monitors.openAlert(alert(`${writer}-flap-${i}`, "flap", i));
    if (flap.opened) flaps++;
    try {
      await monitors.resolveAlert(flap.alert.id, { resolvedAt: i, resolvedWindow: i });
    } catch (error) {
      // The other writer resolved it first.
      if (!isMlcycleError(error) || error.code !== "CONFLICT") throw error;
      lostResolves++;
    }
  }
  Object.assign(out, { opened, flaps, lostResolves });
} else {
  const versions: number[] = [];
  for (let i = 1; i <= n; i++) {
    const r = await monitors.addReference({
      monitor: "shared",
      source: { writer, i },
      rows: i,
      digest,
      profile: { writer, i },
      createdAt: i,
    });
    versions.push(r.version);
  }
  out.versions = versions;
}
process.stdout.write(JSON.stringify(out));
await store.close();

function alert(id: string, rule: string, i: number) {
  return {
    id,
    monitor: "shared",
    rule,
    severity: "warning",
    figure: "drift_share",
    value: i,
    op: ">=",
    threshold: 0.5,
    window: i,
    message: `from ${writer}`,
    details: { writer },
    openedAt: i,
  };
}
