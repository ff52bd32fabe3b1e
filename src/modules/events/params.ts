import { decodeCursorParts, encodeCursorParts, isMicros } from "../../lib/cursor";
import { badRequest } from "../../lib/errors";
import { isUuid, uuidParam } from "../../lib/ids";
import { ENVIRONMENTS, LEVELS } from "../../lib/vocab";

export type Order = "desc" | "asc";

/** The filters of the listing and the count, checked as `events.md` says. */
export interface EventFilters {
  teamId?: string;
  projectId?: string;
  appId?: string;
  levels?: string[];
  userId?: string;
  /** The user and the anonymous ids they claimed, filled in by the service from the claims. */
  userIds?: readonly string[];
  sessionId?: string;
  screenName?: string;
  environment?: string;
  since?: Date;
  until?: Date;
  /** null: both production and development. */
  isDev: boolean | null;
  /** Only the errors grouped into this issue (decision 011). */
  issueId?: string;
  /** Set by the service for an issue's page: its errors in the page's span, by id. */
  issueEventIds?: readonly string[];
}

export interface Cursor {
  /** The last row's timestamp in epoch microseconds (as text: exact beyond 2^53). */
  ts: string;
  id: string;
  order: Order;
}

export interface ListParams extends EventFilters {
  cursor?: Cursor;
  limit: number;
  order: Order;
}

type Query = Record<string, string | undefined>;

const RELATIVE = /^(\d+)([smhdw])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** team_id, project_id and app_id of a query, each a UUID when given. */
export function scopeIds(q: Query): { teamId?: string; projectId?: string; appId?: string } {
  const ids: { teamId?: string; projectId?: string; appId?: string } = {};
  for (const [param, key] of [
    ["team_id", "teamId"],
    ["project_id", "projectId"],
    ["app_id", "appId"],
  ] as const) {
    const value = q[param];
    if (value !== undefined && value !== "") ids[key] = uuidParam(param, value);
  }
  return ids;
}

export function parseFilters(q: Query, now = Date.now()): EventFilters {
  const filters: EventFilters = { isDev: dataMode(q.data_mode), ...scopeIds(q) };
  if (q.level) {
    const levels = q.level.split(",").map((l) => l.trim());
    const unknown = levels.filter((l) => !(LEVELS as readonly string[]).includes(l));
    if (unknown.length > 0)
      throw badRequest(`Unknown log level(s): ${unknown.join(", ")}. Allowed: ${LEVELS.join(", ")}`);
    filters.levels = [...new Set(levels)];
  }
  if (q.environment) filters.environment = environmentParam(q.environment);
  if (q.user_id) filters.userId = q.user_id;
  if (q.session_id) filters.sessionId = q.session_id;
  if (q.screen_name) filters.screenName = q.screen_name;
  if (q.issue_id) filters.issueId = uuidParam("issue_id", q.issue_id);
  filters.since = time("since", q.since, now);
  filters.until = time("until", q.until, now);
  if (filters.since && filters.until && filters.since > filters.until)
    throw badRequest("since must not be after until");
  return filters;
}

export function parseList(q: Query, now = Date.now()): ListParams {
  const filters = parseFilters(q, now);
  const order = q.order ?? "desc";
  if (order !== "desc" && order !== "asc") throw badRequest("order must be desc or asc");
  const limit = pageLimit(q.limit);
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (cursor && cursor.order !== order) throw badRequest("Invalid cursor");
  return { ...filters, order, limit, cursor };
}

/** An environment filter: one of Owlmetry's runtime environments, else a 400 that lists them. */
export function environmentParam(value: string): string {
  if (!ENVIRONMENTS.includes(value))
    throw badRequest(`Unknown environment: ${value}. Allowed: ${ENVIRONMENTS.join(", ")}`);
  return value;
}

/** A page's size: 50 unless asked, at most 200 (Owlmetry's). */
export function pageLimit(value: string | undefined, param = "limit"): number {
  if (value === undefined) return 50;
  const limit = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= 200)) throw badRequest(`${param} must be a whole number from 1 to 200`);
  return limit;
}

/**
 * Owlmetry's triage lists take `is_dev` (true or false), which wins over `data_mode`. Owlmetry
 * reads any other is_dev as false; here it is a 400.
 */
export function devFilter(q: { is_dev?: string; data_mode?: string }): boolean | null {
  if (q.is_dev === undefined) return dataMode(q.data_mode);
  if (q.is_dev !== "true" && q.is_dev !== "false") throw badRequest("is_dev must be true or false");
  return q.is_dev === "true";
}

/** Owlmetry's data_mode: production (the default) is is_dev false, development true, all null. */
export function dataMode(value: string | undefined): boolean | null {
  if (value === undefined || value === "" || value === "production") return false;
  if (value === "development") return true;
  if (value === "all") return null;
  throw badRequest("data_mode must be one of production, development, all");
}

/** A relative time (`30m`: now minus 30 minutes) or an ISO-8601 date (naive means UTC). */
export function time(param: string, value: string | undefined, now: number): Date | undefined {
  if (value === undefined || value === "") return undefined;
  const relative = RELATIVE.exec(value);
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  if (ISO.test(value)) {
    const naive = value.length === 10 || !/(Z|[+-]\d{2}:?\d{2})$/.test(value);
    const ms = Date.parse(naive ? `${value.length === 10 ? `${value}T00:00:00` : value}Z` : value);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw badRequest(`${param} must be a relative time such as 30m, 12h or 7d, or an ISO-8601 date`);
}

export const encodeCursor = (cursor: Cursor): string =>
  encodeCursorParts([cursor.ts, cursor.id, cursor.order]);

function decodeCursor(raw: string): Cursor {
  const [ts, id, order] = decodeCursorParts(raw, [isMicros, isUuid, (o) => o === "asc" || o === "desc"]);
  return { ts: ts as string, id: id as string, order: order as Order };
}
