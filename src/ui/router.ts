import { useEffect, useState } from "preact/hooks";

/** The current route: the hash's path split in parts, and its query parameters. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path = "", qs = ""] = hash.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(qs) };
}

/** The route, re-rendered on every hash change (the dashboard routes by `#/…`, so any base path works). */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = () => setRoute(current());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** A hash link to a route: `href("runs", id)` → `#/runs/<id>`. */
export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join("/")}`;
