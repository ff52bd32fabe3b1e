/**
 * The newest event times of each app (by data mode), in memory, learnt from the commits that
 * store events and from the pages read: where the newest page of some apps begins, known without
 * a query. A guess that makes a page cheap, never a fact a page relies on: the events API reads
 * the page from the store within the guessed bound, and again without it when the bound held too
 * few rows (docs/performance.md, session 5: a page's filter on its apps costs ~60 ns a hot row,
 * the newest rows by time alone within a bound 2.9 ms at 500k hot rows).
 */
export class RecentTimes {
  /** Per app, per data mode (production, development): epoch ms, ascending, at most `perApp`. */
  private readonly times = new Map<string, [number[], number[]]>();

  constructor(private readonly perApp = 512) {}

  /** Called for every event a commit stores: a backfill's old times cost one comparison. */
  add(appId: string, isDev: boolean, ms: number): void {
    let modes = this.times.get(appId);
    if (!modes) {
      modes = [[], []];
      this.times.set(appId, modes);
    }
    const list = modes[isDev ? 1 : 0];
    if (list.length >= this.perApp && ms <= (list[0] as number)) return;
    list.splice(upperBound(list, ms), 0, ms);
    if (list.length > this.perApp) list.shift();
  }

  /**
   * The `count`-th newest time before `before` among these apps' events (one data mode, or both
   * for null), or null when fewer are known.
   */
  edge(appIds: readonly string[], isDev: boolean | null, count: number, before = Number.POSITIVE_INFINITY) {
    const newest: number[] = [];
    for (const appId of appIds) {
      const modes = this.times.get(appId);
      if (!modes) continue;
      for (const list of isDev === null ? modes : [modes[isDev ? 1 : 0]]) {
        const end = lowerBound(list, before);
        for (let i = end - 1; i >= Math.max(0, end - count); i--) newest.push(list[i] as number);
      }
    }
    if (newest.length < count) return null;
    newest.sort((a, b) => b - a);
    return newest[count - 1] as number;
  }
}

/** The first index whose value is ≥ `value`. */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose value is > `value`. */
function upperBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
