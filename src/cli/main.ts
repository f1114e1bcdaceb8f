#!/usr/bin/env node
// The `mlcycle` binary (package.json "bin"). Exit codes: 0 done, 1 the command failed, 2 usage error.
import { runCli } from "./program.js";

const code = await runCli(process.argv);
// A server's sockets, timers and native threads are closed by then; exit without waiting on strays.
process.exit(code);
