#!/usr/bin/env node
// The `mlcycle` binary (package.json "bin"). Exit codes: 0 done, 1 the command failed, 2 usage error.
import { runCli } from "./program.js";

// `mlcycle runs list | head -3`: the reader has gone, and that is no failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const code = await runCli(process.argv);
// A server's sockets, timers and native threads are closed by then; exit without waiting on strays,
// once what was written has left (writes to a pipe are asynchronous on some systems).
let open = 2;
const flushed = () => {
  if (--open === 0) process.exit(code);
};
process.stdout.write("", flushed);
process.stderr.write("", flushed);
