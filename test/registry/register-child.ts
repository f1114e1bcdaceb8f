// Child process for the cross-process tests. Opens the workspace folder argv[2], prints "ready",
// waits until the file argv[3] exists (so every child starts at the same moment), then:
// - mode "register" (default): registers argv[4] versions of model "race" and prints their numbers;
// - mode "alias": makes argv[4] moves of alias "champion" of "race" (sets, every third a rollback),
//   retrying when another process moved it in between, and prints how many moves it made.
// The JSON answer is the last line of stdout.
import { existsSync } from "node:fs";
import { functionModel, isMlcycleError, openWorkspace } from "../../src/index.js";

const [dir, go, count, mode = "register"] = process.argv.slice(2) as [string, string, string, string?];
const ws = await openWorkspace(dir);
process.stdout.write("ready\n");
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 5));
const out: number[] = [];
for (let i = 0; i < Number(count); i++) {
  if (mode === "register") {
    const v = await ws.registry.register("race", { model: functionModel("f", { pid: process.pid, i }) });
    out.push(v.version);
    continue;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const move =
        i % 3 === 2
          ? await ws.registry.rollback("race", "champion", { actor: `p${process.pid}` })
          : await ws.registry.setAlias("race", "champion", ((process.pid + i * 7) % 5) + 1, {
              actor: `p${process.pid}`,
            });
      out.push(move.to ?? 0);
      break;
    } catch (e) {
      if (isMlcycleError(e, "CONFLICT") && attempt < 100) continue;
      if (isMlcycleError(e, "PRECONDITION") || isMlcycleError(e, "NOT_FOUND")) break;
      throw e;
    }
  }
}
await ws.close();
process.stdout.write(`\n${JSON.stringify(out)}`);
