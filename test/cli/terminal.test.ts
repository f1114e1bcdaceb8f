// What `mlcycle` prints for a person and for a script: colour only on a terminal (and never with
// NO_COLOR or --no-color, always with FORCE_COLOR), the shell completion scripts it generates
// (checked by bash itself), and the help that lists every command group.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { hasScript, runCli, runInTerminal } from "./run-cli.js";

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);
const hasBash = spawnSync("bash", ["--version"]).status === 0;
const hasZsh = spawnSync("zsh", ["--version"]).status === 0;

describe("mlcycle on a terminal and off it", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-terminal-");
  const ws = join(cwd, "ws");

  beforeAll(async () => {
    await using w = await openWorkspace(ws);
    await w.experiments.create("iris");
  });

  it("no colour through a pipe; FORCE_COLOR turns it on", async () => {
    const piped = await runCli(["experiments", "list", "-w", ws], { cwd });
    expect(piped.stdout).toMatch(/^NAME +ID/);
    expect(piped.stdout).not.toMatch(ANSI);
    const forced = await runCli(["experiments", "list", "-w", ws], { cwd, env: { FORCE_COLOR: "1" } });
    expect(forced.stdout).toContain("\u001b[1mNAME\u001b[22m");
  });

  it.skipIf(!hasScript)("colour on a terminal, unless NO_COLOR or --no-color", async () => {
    const tty = await runInTerminal(["experiments", "list", "-w", ws], { cwd });
    expect(tty.code).toBe(0);
    expect(tty.output).toContain("\u001b[1mNAME\u001b[22m");
    const noColor = await runInTerminal(["experiments", "list", "-w", ws], { cwd, env: { NO_COLOR: "1" } });
    expect(noColor.output).toMatch(/NAME +ID/);
    expect(noColor.output).not.toMatch(ANSI);
    const flag = await runInTerminal(["experiments", "list", "--no-color", "-w", ws], { cwd });
    expect(flag.output).toMatch(/NAME +ID/);
    expect(flag.output).not.toMatch(ANSI);
    // An error on a terminal: the prefix in red, the exit code the same.
    const error = await runInTerminal(["experiments", "rename", "nope", "x", "-w", ws], { cwd });
    expect(error.code).toBe(1);
    expect(error.output).toContain("\u001b[31mmlcycle:\u001b[39m experiment 'nope' not found");
  });

  it("--help lists every command group", async () => {
    const r = await runCli(["--help"], { cwd });
    expect(r.code).toBe(0);
    for (const group of [
      "experiments",
      "runs",
      "models",
      "pipelines",
      "features",
      "lineage",
      "serve",
      "ui",
      "monitors",
      "ab",
      "completion",
    ])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${group} `));
  });
});

describe("mlcycle completion", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-completion-");
  let script = "";

  beforeAll(async () => {
    const r = await runCli(["completion", "bash"], { cwd });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    script = join(cwd, "mlcycle.bash");
    writeFileSync(script, r.stdout);
  });

  /** What bash completes after `mlcycle` and `words` (the last one being completed). */
  function complete(...words: string[]): string[] {
    const line = words.map((w) => `'${w}'`).join(" ");
    const r = spawnSync(
      "bash",
      [
        "-c",
        `source "$1"; COMP_WORDS=(mlcycle ${line}); COMP_CWORD=${words.length}; _mlcycle; printf '%s\\n' "\${COMPREPLY[@]}"`,
        "bash",
        script,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    return r.stdout.split("\n").filter(Boolean);
  }

  it.skipIf(!hasBash)("bash: commands, subcommands, options, option values", () => {
    expect(spawnSync("bash", ["-n", script]).status).toBe(0);
    expect(complete("")).toEqual([
      "experiments",
      "runs",
      "models",
      "pipelines",
      "features",
      "lineage",
      "serve",
      "ui",
      "monitors",
      "ab",
      "completion",
      "help",
    ]);
    expect(complete("mo")).toEqual(["models", "monitors"]);
    expect(complete("models", "")).toEqual([
      "list",
      "versions",
      "aliases",
      "promote",
      "rollback",
      "history",
      "register",
    ]);
    expect(complete("runs", "-w", "ws", "his")).toEqual(["history"]);
    expect(complete("runs", "metric", "--st")).toEqual(["--start-step"]);
    expect(complete("models", "register", "--flavor", "")).toEqual(["onnx", "json"]);
    expect(complete("lineage", "up", "--h")).toEqual(["--hops", "--help"]);
    expect(complete("completion", "")).toEqual(["bash", "zsh"]);
    expect(complete("runs", "list", "--no")).toEqual(["--no-color"]);
  });

  it("zsh: a #compdef script with descriptions", async () => {
    const r = await runCli(["completion", "zsh"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("#compdef mlcycle");
    expect(r.stdout).toContain("'|models') cmdpath='models' ;;");
    // The apostrophe of "alias's" closes the quote, escapes itself and reopens it.
    expect(r.stdout).toContain(
      String.raw`'promote:point an alias at a version (atomic, audited, checked against the alias'\''s policy)'`,
    );
    expect(r.stdout).toMatch(/'models register\|--flavor'\) compadd -- onnx json ;;/);
    if (hasZsh) expect(spawnSync("zsh", ["-n", "-c", r.stdout]).status).toBe(0);
  });

  it("an unknown shell is a usage error", async () => {
    const r = await runCli(["completion", "fish"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^mlcycle: command-argument value 'fish' is invalid for argument 'SHELL'\. Allowed choices are bash, zsh\.\n$/,
    );
  });
});
