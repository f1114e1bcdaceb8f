// The servers the scale-out suites run against: PostgreSQL and Redis on this machine (and in CI).
// Their URLs come from MLCYCLE_TEST_POSTGRES_URL and MLCYCLE_TEST_REDIS_URL (defaults below). A suite
// whose server does not answer is skipped with a one-line reason — unless MLCYCLE_REQUIRE_SERVICES=1
// (set by .ci/run), when it fails instead, so CI never passes by skipping.
import { Socket } from "node:net";

export const POSTGRES_URL = process.env.MLCYCLE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.MLCYCLE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** True when a TCP connection to the URL's host and port opens within `timeoutMs`. */
export function answers(url: string, timeoutMs = 1500): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol.startsWith("redis") ? 6379 : 5432));
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, u.hostname, () => done(true));
  });
}

/**
 * Whether a suite that needs the server at `url` runs: true when it answers; when it does not,
 * false with a one-line reason on stderr — or an error when MLCYCLE_REQUIRE_SERVICES=1.
 * Use with top-level await: `describe.runIf(await service("PostgreSQL", POSTGRES_URL))(…)`.
 */
export async function service(name: string, url: string): Promise<boolean> {
  if (await answers(url)) return true;
  const reason = `${name} at ${url} does not answer`;
  if (process.env.MLCYCLE_REQUIRE_SERVICES === "1")
    throw new Error(`${reason}, and MLCYCLE_REQUIRE_SERVICES=1: start it (see the README's test section)`);
  process.stderr.write(`skipping the ${name} suites: ${reason} (set MLCYCLE_TEST_${name.toUpperCase()}_URL)\n`);
  return false;
}

/** A name unique to this test process and call, for a schema, key prefix or bucket of one's own. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
