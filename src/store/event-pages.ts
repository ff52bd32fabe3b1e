import { hintOfEventId, projectHint } from "../lib/ids";
import type { Tx } from "./db";
import { type EventScope, filesFor, filesIn, type IdKey } from "./events-source";
import { type LiveFile, liveFiles } from "./manifest";

/**
 * How a read of events walks the store: which lake files, in which time windows, in what order.
 * The events API's pages and lookups read through these plans, and so does every later feature
 * that reads events; the SQL that runs over each window is the reader's own.
 */

/** What a page asks for: projects, an order, how many rows, a time range and an optional id key. */
export interface PageRequest {
  projectIds: readonly string[];
  order: "desc" | "asc";
  /** Rows the page needs (one more than its limit, to know whether there is a next page). */
  rowsWanted: number;
  from?: Date;
  to?: Date;
  key?: IdKey;
}

/**
 * The windows of a page, in page order, lazily: read them one by one until the page is full. Each
 * window's files are chosen from the manifest as the snapshot `tx` sees it (narrowed to the files
 * that may hold the key's id, when there is one); the last window is the hot rows beyond the lake.
 */
export async function planPage(tx: Tx, dataDir: string, request: PageRequest): Promise<Iterable<PageWindow>> {
  const { projectIds, order, rowsWanted, from, to, key } = request;
  const files = await filesFor(tx, dataDir, key);
  const partitions = partitionsOf(files, projectIds, order, key !== undefined, from, to);
  return windowsOf(partitions, order, rowsWanted, from, to);
}

/**
 * The lake files that may hold one event, in the order to look: first those of the project its
 * id names (Roost's ids carry a project hint, decision 005), then every other file in scope, so
 * ids made elsewhere still resolve. The hot table is the caller's to read first.
 */
export async function planLookup(
  tx: Tx,
  dataDir: string,
  id: string,
  scope: EventScope,
): Promise<string[][]> {
  const files = filesIn(await liveFiles(tx, dataDir), scope);
  const hint = hintOfEventId(id);
  const named = (f: LiveFile) => projectHint(f.projectId) === hint;
  return [files.filter(named), files.filter((f) => !named(f))]
    .filter((part) => part.length > 0)
    .map((part) => part.map((f) => f.path));
}

const HOUR_MS = 3_600_000;

/** A slice of time [from, to) and the lake files that hold its rows; undefined is unbounded. */
export interface PageWindow {
  from?: Date;
  to?: Date;
  paths: string[];
  /** Rows in those files, from the manifest. */
  rows: number;
}

interface Partition {
  hour: Date;
  paths: string[];
  rows: number;
  /**
   * Rows that surely match: all of them without a key; with a user or session key, one a file (each
   * file in the plan holds the id, by its summary, though it may hold it once among thousands).
   */
  matches: number;
}

/**
 * The partitions in scope, in page order, from the live files (in (hour, path) order). Lazy, and
 * walked from the page's end of the manifest: a newest page stops after its first few hours instead
 * of filtering every file of the history on each request.
 */
function* partitionsOf(
  files: readonly LiveFile[],
  projectIds: readonly string[],
  order: "desc" | "asc",
  keyed: boolean,
  from?: Date,
  to?: Date,
): Generator<Partition> {
  const projects = new Set(projectIds);
  const low = from ? from.getTime() - HOUR_MS : Number.NEGATIVE_INFINITY;
  const high = to?.getTime() ?? Number.POSITIVE_INFINITY;
  const step = order === "desc" ? -1 : 1;
  let current: Partition | null = null;
  for (let i = order === "desc" ? files.length - 1 : 0; i >= 0 && i < files.length; i += step) {
    const f = files[i] as LiveFile;
    // The partition's hour overlaps [from, to).
    if (!projects.has(f.projectId) || f.hour <= low || f.hour >= high) continue;
    if (current && current.hour.getTime() === f.hour) {
      current.paths.push(f.path);
      current.rows += f.rows;
      current.matches += keyed ? 1 : f.rows;
      continue;
    }
    if (current) yield current;
    current = { hour: new Date(f.hour), paths: [f.path], rows: f.rows, matches: keyed ? 1 : f.rows };
  }
  if (current) yield current;
}

/**
 * The time windows a page walks, in page order: partition hours newest first (oldest first for
 * asc), 1, 2, 4, 8 … hours at a time (more while their files hold fewer rows than the page needs),
 * and one last window for hot rows beyond the lake's oldest (newest) hour. A partition's rows all
 * lie within its hour, so once the windows walked hold a full page, no later window can hold a row
 * that belongs on it.
 */
function* windowsOf(
  partitions: Iterable<Partition>,
  order: "desc" | "asc",
  rowsWanted: number,
  from?: Date,
  to?: Date,
) {
  let edge = order === "desc" ? to : from;
  let group: Partition[] = [];
  let held = 0;
  let size = 1;
  const close = (): PageWindow => {
    const last = group.at(-1) as Partition;
    const paths = group.flatMap((p) => p.paths);
    const rows = group.reduce((sum, p) => sum + p.rows, 0);
    const window: PageWindow =
      order === "desc"
        ? { from: last.hour, to: edge, paths, rows }
        : { from: edge, to: new Date(last.hour.getTime() + HOUR_MS), paths, rows };
    edge = order === "desc" ? window.from : window.to;
    group = [];
    held = 0;
    size *= 2;
    return window;
  };
  for (const partition of partitions) {
    group.push(partition);
    held += partition.matches;
    // Lake files holding fewer rows than the page still needs cannot fill it: read them together
    // with the next partition rather than in a query of their own (a thin newest hour, or a user
    // seen once an hour: 6 queries over 63 files took 155 ms for a page of one user's 51 events).
    if (group.length >= size && held >= rowsWanted) yield close();
  }
  if (group.length > 0) yield close();
  yield order === "desc" ? { from, to: edge, paths: [], rows: 0 } : { from: edge, to, paths: [], rows: 0 };
}
