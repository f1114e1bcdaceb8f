// Deployments for the HTTP tests: real ones (ws.serving.deploy), each under a name of its own so that
// a test file can hold several of one reference, and the predictions they logged.
import type { Deployment, DeployOptions, LoggedPrediction, Workspace } from "../../src/index.js";

let n = 0;

/** Deploys `ref` under a fresh name (alias polling off: the tests move no alias from elsewhere). */
export function deploy(ws: Workspace, ref: string, options: DeployOptions = {}): Promise<Deployment> {
  return ws.serving.deploy(ref, { name: `${ref}#${++n}`.replace("#", "-"), pollIntervalMs: false, ...options });
}

/** The predictions a deployment has logged (its buffer written first), oldest first. */
export async function logged(ws: Workspace, d: Deployment): Promise<LoggedPrediction[]> {
  if (d.health().state !== "closed") await d.flush();
  return (await ws.serving.listPredictions({ deployment: d.name })).predictions;
}
