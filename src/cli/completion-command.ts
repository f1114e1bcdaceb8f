// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the completion scripts are shell code, whose ${…} is the shell's.
import { Argument, type Command, Option } from "commander";
import type { CliOutput } from "./cli-errors.js";

/** One command of the tree, as the completion scripts see it. */
interface CommandEntry {
  /** The words that lead to it, space-separated ("" for `mlcycle` itself, "models register"…). */
  path: string;
  /** Its subcommands: name (aliases too), the canonical name, description. */
  subcommands: Array<{ word: string; name: string; description: string }>;
  /** Its options and the program's (they are accepted after subcommands too). */
  options: Option[];
}

/** Options whose value is a folder or a file (completed with the shell's file completion). */
const FOLDER_OPTIONS = new Set(["--workspace"]);
const FILE_OPTIONS = new Set(["--file", "--module", "--signature"]);

const HELP = new Option("--help", "display help for command");

/** Every command of the program with its subcommands and options, depth first. */
function commandTree(program: Command): CommandEntry[] {
  const out: CommandEntry[] = [];
  const globals = program.options.filter((o) => !o.hidden);
  const visit = (cmd: Command, path: string) => {
    const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    out.push({
      path,
      subcommands: [
        ...subs.flatMap((c) =>
          [c.name(), ...c.aliases()].map((word) => ({ word, name: c.name(), description: c.description() })),
        ),
        ...(path === "" ? [{ word: "help", name: "help", description: "display help for a command" }] : []),
        // A first argument with choices (`completion bash|zsh`) completes like a subcommand that leads nowhere.
        ...(cmd.registeredArguments[0]?.argChoices ?? []).map((word) => ({ word, name: "", description: word })),
      ],
      options: [...(path === "" ? globals : [...cmd.options.filter((o) => !o.hidden), ...globals]), HELP],
    });
    for (const c of subs) visit(c, path === "" ? c.name() : `${path} ${c.name()}`);
  };
  visit(program, "");
  return out;
}

const flagsOf = (o: Option) => [o.long, o.short].filter((f): f is string => typeof f === "string");
const takesValue = (o: Option) => o.required || o.optional;
/** A word in single quotes for bash and zsh. */
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
/** A case pattern matching `path|word` exactly. */
const pattern = (path: string, word: string) => quote(`${path}|${word}`);

/** The case arms shared by both scripts: walking the words typed so far to the command they name. */
function walkArms(tree: CommandEntry[]): string[] {
  const arms: string[] = [];
  const valued = tree.flatMap((c) =>
    c.options.filter(takesValue).flatMap((o) => flagsOf(o).map((f) => pattern(c.path, f))),
  );
  if (valued.length) arms.push(`      ${valued.join("|")}) skip=1 ;;`);
  for (const c of tree)
    for (const s of c.subcommands.filter((s) => s.name !== ""))
      arms.push(
        `      ${pattern(c.path, s.word)}) cmdpath=${quote(c.path === "" ? s.name : `${c.path} ${s.name}`)} ;;`,
      );
  return arms;
}

/** `prev` is an option taking a value: its choices, a folder, a file, or nothing to offer. */
function valueArms(
  tree: CommandEntry[],
  choices: (words: string) => string,
  folder: string,
  file: string,
  none: string,
) {
  const arms: string[] = [];
  for (const c of tree)
    for (const o of c.options.filter(takesValue)) {
      const pats = flagsOf(o)
        .map((f) => pattern(c.path, f))
        .join("|");
      const long = o.long ?? "";
      if (o.argChoices) arms.push(`      ${pats}) ${choices(o.argChoices.join(" "))} ;;`);
      else if (FOLDER_OPTIONS.has(long)) arms.push(`      ${pats}) ${folder} ;;`);
      else if (FILE_OPTIONS.has(long)) arms.push(`      ${pats}) ${file} ;;`);
      else arms.push(`      ${pats}) ${none} ;;`);
    }
  return arms;
}

/**
 * The bash completion script of `program`: subcommands, options, the choices of an option's value
 * (`--flavor onnx|json`) and file names for options that take a path. Generated from the commands
 * themselves, so it lists exactly what this version accepts.
 */
export function bashCompletion(program: Command): string {
  const tree = commandTree(program);
  const lists = (what: (c: CommandEntry) => string[]) =>
    tree.map((c) => `      ${quote(c.path)}) words=${quote(what(c).join(" "))} ;;`);
  return [
    "# mlcycle completion for bash. Load it in this shell:   source <(mlcycle completion bash)",
    "# or for every shell:   mlcycle completion bash > ~/.local/share/bash-completion/completions/mlcycle",
    "_mlcycle() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" skip=0 i w words=""',
    '  (( COMP_CWORD > 1 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
    "  for (( i = 1; i < COMP_CWORD; i++ )); do",
    '    w="${COMP_WORDS[i]}"',
    "    if (( skip )); then skip=0; continue; fi",
    '    case "$cmdpath|$w" in',
    ...walkArms(tree),
    "    esac",
    "  done",
    "  COMPREPLY=()",
    "  if (( skip )); then",
    '    case "$cmdpath|$prev" in',
    ...valueArms(
      tree,
      (w) => `COMPREPLY=( $(compgen -W ${quote(w)} -- "$cur") )`,
      'COMPREPLY=( $(compgen -d -- "$cur") )',
      'COMPREPLY=( $(compgen -f -- "$cur") )',
      ":",
    ),
    "    esac",
    "    return 0",
    "  fi",
    '  if [[ "$cur" == -* ]]; then',
    '    case "$cmdpath" in',
    ...lists((c) => c.options.flatMap(flagsOf)),
    "    esac",
    "  else",
    '    case "$cmdpath" in',
    ...lists((c) => c.subcommands.map((s) => s.word)),
    "    esac",
    "  fi",
    '  [[ -n "$words" ]] && COMPREPLY=( $(compgen -W "$words" -- "$cur") )',
    "  return 0",
    "}",
    "complete -o default -F _mlcycle mlcycle",
    "",
  ].join("\n");
}

/** `name:description` for zsh's `_describe` (colons in the name escaped). */
const described = (name: string, description: string) =>
  quote(`${name.replaceAll(":", "\\:")}:${description.replace(/\s+/g, " ")}`);

/**
 * The zsh completion script of `program`: as {@link bashCompletion}, with each subcommand's and
 * option's description shown beside it.
 */
export function zshCompletion(program: Command): string {
  const tree = commandTree(program);
  const arrays = (what: (c: CommandEntry) => string[]) =>
    tree.map((c) => `      ${quote(c.path)}) items=( ${what(c).join(" ")} ) ;;`);
  return [
    "#compdef mlcycle",
    "# mlcycle completion for zsh. Load it in this shell:   source <(mlcycle completion zsh)",
    '# or for every shell: mlcycle completion zsh > "${fpath[1]}/_mlcycle" (then start a new shell)',
    "_mlcycle() {",
    '  local cmdpath="" prev="${words[CURRENT-1]}" cur="${words[CURRENT]}" w',
    "  local -i i skip=0",
    "  local -a items",
    "  for (( i = 2; i < CURRENT; i++ )); do",
    '    w="${words[i]}"',
    "    if (( skip )); then skip=0; continue; fi",
    '    case "$cmdpath|$w" in',
    ...walkArms(tree),
    "    esac",
    "  done",
    "  if (( skip )); then",
    '    case "$cmdpath|$prev" in',
    ...valueArms(tree, (w) => `compadd -- ${w}`, "_files -/", "_files", "_message 'a value'"),
    "    esac",
    "    return",
    "  fi",
    '  if [[ "$cur" == -* ]]; then',
    '    case "$cmdpath" in',
    ...arrays((c) => c.options.flatMap((o) => flagsOf(o).map((f) => described(f, o.description)))),
    "    esac",
    "    (( ${#items} )) && _describe -t options option items",
    "  else",
    '    case "$cmdpath" in',
    ...arrays((c) => c.subcommands.map((s) => described(s.word, s.description))),
    "    esac",
    "    if (( ${#items} )); then _describe -t commands command items; else _files; fi",
    "  fi",
    "}",
    'if [[ "$funcstack[1]" = "_mlcycle" ]]; then _mlcycle "$@"; else compdef _mlcycle mlcycle; fi',
    "",
  ].join("\n");
}

/** Adds `mlcycle completion bash|zsh`. */
export function addCompletionCommand(program: Command, io: CliOutput): void {
  program
    .command("completion")
    .description("print the shell completion script (bash or zsh): source <(mlcycle completion bash)")
    .addArgument(new Argument("<SHELL>", "the shell").choices(["bash", "zsh"]))
    .action((shell: "bash" | "zsh") => {
      const script = shell === "bash" ? bashCompletion(program) : zshCompletion(program);
      io.out(script.replace(/\n$/, ""));
    });
}
