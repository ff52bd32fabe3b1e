import { useEffect } from "preact/hooks";

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
