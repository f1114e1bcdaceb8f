import { useEffect, useState } from "preact/hooks";
import { ApiError, get } from "./api.js";

/** What a page's read gives: data, or the error, while `loading` says whether a read is under way. */
export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload: () => void;
}

/** Reads `path` with `query` from the API, again whenever either changes. */
export function useApi<T>(
  path: string | undefined,
  query: Record<string, string | string[] | undefined> = {},
): Loaded<T> {
  const key = JSON.stringify([path, query]);
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    get<T>(path, query).then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) =>
        live &&
        setState({
          error: error instanceof ApiError ? error : new ApiError(0, "INTERNAL", String(error)),
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}
