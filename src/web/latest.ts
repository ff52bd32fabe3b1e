import { useEffect, useState } from "preact/hooks";
import { get, qs } from "./api";

/**
 * Loads when `deps` change and hands over the answer only while it is still the newest request:
 * switching team or filters quickly must never let a slow, stale answer overwrite a newer one.
 */
export function useLatest<T>(
  deps: unknown[],
  load: () => Promise<T> | null,
  use: (value: T) => void,
  fail: (error: Error) => void = () => {},
): void {
  useEffect(() => {
    let current = true;
    load()?.then(
      (value) => current && use(value),
      (error: Error) => current && fail(error),
    );
    return () => {
      current = false;
    };
  }, deps);
}

/**
 * A list the API pages with a cursor (`{<key>: T[], cursor}`): the first page whenever `deps`
 * change, and `more()` for the next.
 */
export function usePages<T>(
  deps: unknown[],
  path: string,
  key: string,
  query: Record<string, string | undefined>,
): { items: T[]; cursor: string | null; error: string; more: () => Promise<void> } {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState("");
  type Page = Record<string, unknown> & { cursor: string | null };
  useLatest(
    deps,
    () => get<Page>(`${path}?${qs(query)}`),
    (r) => {
      setItems(r[key] as T[]);
      setCursor(r.cursor);
      setError("");
    },
    (e) => setError(e.message),
  );
  const more = async () => {
    if (!cursor) return;
    const r = await get<Page>(`${path}?${qs({ ...query, cursor })}`);
    setItems((old) => [...old, ...(r[key] as T[])]);
    setCursor(r.cursor);
  };
  return { items, cursor, error, more };
}
