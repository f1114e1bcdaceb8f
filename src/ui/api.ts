/** The dashboard's API client: GETs and POSTs under the base path the page was served at. */

const root = document.getElementById("app");
/** Where the API lives (the handler's base path, no trailing slash). */
export const BASE = root?.dataset.base ?? "";
const TOKEN_KEY = "mlcycle.token";

/** An error answered by the API: its code, message and, for a filter, where it went wrong. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly position?: number,
    readonly source?: string,
  ) {
    super(message);
  }
}

/** The bearer token the user gave when the API asked for one (kept for this tab only). */
export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string; position?: number; source?: string };
  };
  if (!res.ok) {
    const e = body.error ?? { code: "INTERNAL", message: `HTTP ${res.status}` };
    throw new ApiError(res.status, e.code, e.message, e.position, e.source);
  }
  return body as T;
}

/** GET `/api/<path>` with query parameters (arrays repeat the parameter). */
export async function get<T>(path: string, query: Record<string, string | string[] | undefined> = {}): Promise<T> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  }
  const qs = params.toString();
  return answer<T>(await fetch(`${BASE}/api/${path}${qs ? `?${qs}` : ""}`, { headers: headers() }));
}

/** POST JSON to `/api/<path>` (a write: the dashboard must have been started with writes on). */
export async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${BASE}/api/${path}`, {
    method: "POST",
    headers: headers({ "content-type": "application/json" }),
    body: JSON.stringify(body),
  });
  return answer<T>(res);
}
