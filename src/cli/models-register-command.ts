import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { invalid, type JsonSchema, type ModelVersion, type Workspace } from "../index.js";
import { type CliOutput, UsageError } from "./cli-errors.js";
import { loadUserModule, openCliWorkspace, workspaceDir } from "./cli-workspace.js";

/** Options of `mlcycle models register`, as commander gives them. */
interface RegisterCommandOptions {
  file: string;
  flavor: "onnx" | "json";
  alias?: string;
  className?: string;
  signature?: string;
  description?: string;
  workspace?: string;
  module?: string;
  json?: boolean;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(resolve(path), "utf8");
  } catch (error) {
    throw invalid([what], `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function parseJsonFile(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid([what], `${path} is not JSON: ${(error as Error).message}`);
  }
}

/** Reads `--signature FILE`: `{ "inputs"?: JSON Schema, "outputs"?: JSON Schema }`. */
async function readSignature(path: string): Promise<{ inputs?: JsonSchema; outputs?: JsonSchema }> {
  const value = parseJsonFile(await readText(path, "signature"), path, "signature") as Record<string, unknown>;
  const isSchema = (s: unknown) => typeof s === "object" && s !== null && !Array.isArray(s);
  if (!isSchema(value) || Object.keys(value).some((k) => k !== "inputs" && k !== "outputs"))
    throw invalid(["signature"], `${path} must be an object { "inputs"?: JSON Schema, "outputs"?: JSON Schema }`);
  for (const k of ["inputs", "outputs"] as const)
    if (value[k] !== undefined && !isSchema(value[k]))
      throw invalid(["signature", k], `in ${path} must be a JSON Schema object`);
  return value as { inputs?: JsonSchema; outputs?: JsonSchema };
}

async function register(ws: Workspace, name: string, options: RegisterCommandOptions): Promise<ModelVersion> {
  const signature = options.signature ? await readSignature(options.signature) : undefined;
  const common = {
    ...(signature ? { signature } : {}),
    ...(options.description ? { description: options.description } : {}),
  };
  if (options.flavor === "onnx")
    // The onnx flavor reads the file itself and records the model's input and output names.
    return ws.registry.register(name, { model: resolve(options.file), flavor: "onnx", ...common });
  // json: the file is what the model's toJSON() gave; its class rebuilds it with load() when served.
  const text = await readText(options.file, "file");
  parseJsonFile(text, options.file, "file");
  return ws.registry.register(name, {
    bytes: new TextEncoder().encode(text),
    flavor: "json",
    flavorMeta: { className: options.className },
    ...common,
  });
}

/** Adds `mlcycle models register NAME` to the `models` command. */
export function addRegisterCommand(models: Command, io: CliOutput): void {
  models
    .command("register")
    .description("register a model file (an ONNX export, or a json-flavor model's toJSON() output) as a new version")
    .argument("<NAME>", "registered model name")
    .requiredOption("-f, --file <path>", "the model file")
    .addOption(
      new Option("--flavor <flavor>", "how the model is saved and loaded")
        .choices(["onnx", "json"])
        .makeOptionMandatory(),
    )
    .option("-a, --alias <alias>", "point this alias at the new version (e.g. champion)")
    .option(
      "--class-name <name>",
      "json flavor: the class that rebuilds the model (registered with registerModelClass)",
    )
    .option("--signature <path>", 'a JSON file { "inputs": JSON Schema, "outputs": JSON Schema }')
    .option("--description <text>", "the version's description")
    .option("-w, --workspace <dir>", "workspace folder (default: $MLCYCLE_WORKSPACE, else ./.mlcycle)")
    .option("--module <path>", "a module whose default (or register) export receives the workspace (custom flavors)")
    .option("--json", "print the version as one JSON object")
    .action(async (name: string, options: RegisterCommandOptions) => {
      if (options.flavor === "json" && !options.className)
        throw new UsageError("--flavor json needs --class-name: the class that rebuilds the model when it is served");
      if (options.flavor !== "json" && options.className)
        throw new UsageError("--class-name is for --flavor json only");
      const ws = await openCliWorkspace(workspaceDir(options.workspace));
      try {
        if (options.module) await loadUserModule(options.module, ws);
        const v = await register(ws, name, options);
        if (options.alias)
          await ws.registry.setAlias(name, options.alias, v.version, { reason: "mlcycle models register" });
        const aliases = options.alias ? [...new Set([...v.aliases, options.alias])] : v.aliases;
        if (options.json)
          io.out(
            JSON.stringify({
              model: v.model,
              version: v.version,
              versionId: v.id,
              flavor: v.flavor,
              digest: v.digest,
              size: v.size,
              aliases,
              uri: `models:/${v.model}/${v.version}`,
            }),
          );
        else
          io.out(
            `registered ${v.model} version ${v.version} (${v.flavor}, sha256 ${v.digest.slice(0, 12)})` +
              (aliases.length > 0 ? `; ${aliases.map((a) => `${a} → ${v.version}`).join(", ")}` : ""),
          );
      } finally {
        await ws.close();
      }
    });
}
