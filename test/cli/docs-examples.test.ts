// The command-line examples of docs/cli.md run: the page's ts blocks build the workspace (as the
// documentation tests run them), then every `$ mlcycle …` line of its ```console blocks runs in that
// folder and must exit as the page says and print what the page shows (ids, times and digests
// aside; see console-examples.ts).
import { spawnSync } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pagePrograms } from "../docs/doc-program.js";
import { tempDir } from "../helpers.js";
import { consoleExamples, missingLine } from "./console-examples.js";
import { runCli } from "./run-cli.js";

const root = join(import.meta.dirname, "..", "..");
const page = readFileSync(join(root, "docs", "cli.md"), "utf8");
const examples = consoleExamples(page);

describe("docs/cli.md: the console examples", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-docs-");

  beforeAll(() => {
    symlinkSync(join(root, "node_modules"), join(cwd, "node_modules"), "dir");
    const { main } = pagePrograms(root, "docs/cli.md", { mlcycle: join(root, "src", "index.js") });
    const program = join(cwd, "page.mts");
    writeFileSync(program, main.lines.map((l) => l.text).join("\n"));
    const r = spawnSync(process.execPath, ["--import", "tsx", program], { cwd, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 120_000);

  it("the page has examples", () => {
    expect(examples.length).toBeGreaterThan(15);
  });

  // In page order: the commands that write (create, promote…) change what the next ones print.
  it.each(examples.map((e) => [`docs/cli.md:${e.line} mlcycle ${e.args.join(" ")}`, e] as const))(
    "%s",
    async (_name, e) => {
      const r = await runCli(e.args, { cwd });
      expect(r.code, r.stderr).toBe(e.exitCode);
      const printed = `${r.stdout}${r.stderr}`.replace(/\n$/, "").split("\n");
      expect(missingLine(e.output, printed), `printed:\n${printed.join("\n")}`).toBeUndefined();
    },
  );
});
