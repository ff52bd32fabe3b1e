import { useEffect, useState } from "preact/hooks";

/** The view lives in the URL's hash (`#/events?level=error`), so any view can be shared and reloaded. */
export interface Route {
  page: string;
  params: Record<string, string>;
}

export function parseRoute(hash = location.hash): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?");
  return { page: path || "stats", params: Object.fromEntries(new URLSearchParams(query)) };
}

export function href(page: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${page}${s ? `?${s}` : ""}`;
}

export function go(page: string, params: Record<string, string | undefined> = {}): void {
  location.hash = href(page, params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute());
  useEffect(() => {
    const update = () => setRoute(parseRoute());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}
