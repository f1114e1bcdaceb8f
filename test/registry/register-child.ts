// Child process: opens the workspace folder argv[2], waits until the file argv[3] exists (so every
// child starts registering at the same moment), registers argv[4] versions of model "race" and
// prints "ready", then their numbers as JSON on the last line.
import { existsSync } from "node:fs";
import { functionModel, openWorkspace } from "../../src/index.js";

const [dir, go, count] = process.argv.slice(2) as [string, string, string];
const ws = await openWorkspace(dir);
process.stdout.write("ready\n");
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 5));
const numbers: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const v = await ws.registry.register("race", { model: functionModel("f", { pid: process.pid, i }) });
  numbers.push(v.version);
}
await ws.close();
process.stdout.write(JSON.stringify(numbers));
