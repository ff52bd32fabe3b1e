/** What the HTTP benchmarks share: a timed GET with a key, p50/p99, and a measured query. */
export function timedGet(base: string, key: string) {
  return async (path: string) => {
    const started = performance.now();
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await r.json()) as Record<string, any>;
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, body };
  };
}

export function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
  return { p50: at(0.5), p99: at(0.99), n: sorted.length };
}

/**
 * `runs` timed requests after `warm` untimed ones (the first requests after start-up run cold JIT
 * code and cold Parquet metadata); `path(i)` may vary the request.
 */
export function measurer(get: ReturnType<typeof timedGet>, runs: number, warm: number) {
  return async (path: (i: number) => string) => {
    for (let i = 0; i < warm; i++) await get(path(runs + i));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push((await get(path(i))).ms);
    return percentiles(times);
  };
}
