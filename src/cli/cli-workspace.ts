import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { MlcycleError, openWorkspace, type Workspace } from "../index.js";

/** The workspace folder: `--workspace`, else `MLCYCLE_WORKSPACE`, else `./.mlcycle`. */
export function workspaceDir(option: string | undefined): string {
  return resolve(option ?? process.env.MLCYCLE_WORKSPACE ?? "./.mlcycle");
}

/**
 * Opens the workspace with the flavors the CLI brings: `onnx` (its runtime, onnxruntime-node, is
 * imported when a model of that flavor is first saved or loaded; a clear UNAVAILABLE error says how
 * to install it when it is missing). `mustExist`: refuse a folder that holds no workspace yet (`NOT_FOUND`,
 * followed by `hint`, or by how to make one).
 */
export async function openCliWorkspace(
  dir: string,
  options: { mustExist?: boolean; hint?: string } = {},
): Promise<Workspace> {
  if (options.mustExist && !existsSync(resolve(dir, "mlcycle.db")))
    throw new MlcycleError(
      "NOT_FOUND",
      `no workspace at ${dir}: ${options.hint ?? "register a model first (mlcycle models register), or point --workspace or MLCYCLE_WORKSPACE at one"}`,
    );
  const ws = await openWorkspace(dir);
  try {
    // Loaded on demand: the adapter imports onnxruntime-node only when an ONNX model is used.
    const { onnxFlavor } = await import("../adapters/onnx/index.js");
    ws.registry.registerFlavor(onnxFlavor());
  } catch (error) {
    await ws.close();
    throw error;
  }
  return ws;
}

/**
 * Imports a user module and hands it the workspace, so that it registers functions, model classes
 * and flavors: its default export, or its `register` export, is called with the workspace.
 */
export async function loadUserModule(path: string, ws: Workspace): Promise<void> {
  const file = resolve(path);
  if (!existsSync(file)) throw new MlcycleError("NOT_FOUND", `--module ${path}: no such file (${file})`);
  let mod: { default?: unknown; register?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as typeof mod;
  } catch (error) {
    throw new MlcycleError("INTERNAL", `--module ${path} cannot be imported: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const register = typeof mod.default === "function" ? mod.default : mod.register;
  if (typeof register !== "function")
    throw new MlcycleError(
      "VALIDATION",
      `--module ${path} exports neither a default function nor register(ws): export one that takes the workspace`,
    );
  await register(ws);
}

/** How {@link withWorkspace} opens the workspace. */
export interface WithWorkspaceOptions {
  /** Refuse a folder that holds no workspace yet (default true: commands that read). */
  mustExist?: boolean;
  /** What the `NOT_FOUND` error of a missing workspace suggests. */
  hint?: string;
  /** A user module to hand the workspace to first (`--module`). */
  module?: string;
}

/**
 * Runs `use` on the workspace of `--workspace` (else `MLCYCLE_WORKSPACE`, else `./.mlcycle`) and closes
 * it after, whatever `use` did.
 */
export async function withWorkspace<T>(
  workspace: string | undefined,
  use: (ws: Workspace, dir: string) => Promise<T>,
  options: WithWorkspaceOptions = {},
): Promise<T> {
  const dir = workspaceDir(workspace);
  const ws = await openCliWorkspace(dir, {
    mustExist: options.mustExist ?? true,
    hint: options.hint ?? "point --workspace or MLCYCLE_WORKSPACE at a workspace folder (one openWorkspace() wrote)",
  });
  try {
    if (options.module !== undefined) await loadUserModule(options.module, ws);
    return await use(ws, dir);
  } finally {
    await ws.close();
  }
}
