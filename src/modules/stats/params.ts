import { ApiError, badRequest } from "../../lib/errors";
import { isUuid } from "../../lib/ids";
import { CATEGORIES, OUTCOMES } from "../../lib/vocab";

/** Query values as Elysia hands them: one string, or several for a repeated parameter. */
type Raw = string | string[] | undefined;
export type StatsQuery = Record<string, Raw>;

export const FIELDS = ["sum(quantity)", "sum(times_seen)"] as const;
export type Field = (typeof FIELDS)[number];
export const GROUP_BYS = ["outcome", "category", "reason", "project"] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface StatsParams {
  /** null: all of the team's projects (`-1` or none given). */
  projectIds: string[] | null;
  fields: Field[];
  intervalS: number;
  /** Aligned bounds, epoch seconds: buckets cover [start, end). */
  start: number;
  end: number;
  groupBy: GroupBy[];
  outcomes: string[] | null;
  /** Stored category names to match (`error` expanded to default, error, security). */
  categories: string[] | null;
  reason: string | null;
}

const UNIT_S = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;
const DAY_S = 86400;
const MAX_BUCKETS = 1000;

const list = (raw: Raw): string[] =>
  (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).filter((v) => v !== "");
const single = (raw: Raw): string | undefined => (Array.isArray(raw) ? raw[0] : raw) || undefined;

/** `<n>` seconds or `<n><s|m|h|d|w>`; null when it is neither. */
function duration(value: string): number | null {
  const m = /^(\d+)([smhdw]?)$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * (m[2] ? UNIT_S[m[2] as keyof typeof UNIT_S] : 1);
}

/** ISO-8601 (naive means UTC) or epoch seconds, as epoch seconds; null when it is neither. */
function instant(value: string): number | null {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) return null;
  const naive = !/(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = Date.parse(
    naive ? `${value.length === 10 ? `${value}T00:00:00` : value.replace(" ", "T")}Z` : value,
  );
  return Number.isNaN(ms) ? null : ms / 1000;
}

/**
 * The parameters of stats_v2, checked in the order `stats.md` gives, with Sentry's messages.
 * `teamProjects` are the team's live project ids (for `project`); `now` is epoch seconds.
 */
export function parseStats(q: StatsQuery, teamProjects: readonly string[], now: number): StatsParams {
  const groupByRaw = list(q.groupBy);

  // 1. project
  let projectIds: string[] | null = null;
  const projects = list(q.project);
  if (projects.some((p) => p !== "-1" && !isUuid(p))) {
    throw badRequest("Invalid project parameter. Values must be project ids.");
  }
  const named = projects.filter((p) => p !== "-1").map((p) => p.toLowerCase());
  if (named.some((p) => !teamProjects.includes(p))) {
    throw new ApiError(403, "You do not have permission to perform this action.");
  }
  if (named.length > 0 && !projects.includes("-1")) projectIds = [...new Set(named)];
  if (groupByRaw.includes("project") && teamProjects.length === 0) throw badRequest("No projects available");

  // 2. field present
  const fieldsRaw = list(q.field);
  if (fieldsRaw.length === 0) throw badRequest('At least one "field" is required.');

  // 3. interval
  const intervalS = duration(single(q.interval) ?? "") ?? 3600;
  if (intervalS < 60 || intervalS % 60 !== 0) {
    throw badRequest("The interval has to be a multiple of the minimum interval of one minute.");
  }
  if (intervalS > DAY_S) throw badRequest("The interval has to be less than one day.");
  if (DAY_S % intervalS !== 0) throw badRequest("The interval should divide one day without a remainder.");

  // 4. range
  let start: number;
  let end: number;
  const period = single(q.statsPeriod);
  const startRaw = single(q.start);
  const endRaw = single(q.end);
  if (period !== undefined) {
    const seconds = /^\d+[smhdw]$/.test(period) ? duration(period) : null;
    if (seconds === null || seconds <= 0) throw badRequest(`Invalid statsPeriod: '${period}'`);
    end = now;
    start = now - seconds;
  } else if (startRaw !== undefined || endRaw !== undefined) {
    if (startRaw === undefined || endRaw === undefined) throw badRequest("start and end are both required");
    const s = instant(startRaw);
    if (s === null) throw badRequest(`${startRaw} is not a valid ISO8601 date query`);
    const e = instant(endRaw);
    if (e === null) throw badRequest(`${endRaw} is not a valid ISO8601 date query`);
    start = s;
    end = e;
  } else {
    end = now;
    start = now - 90 * DAY_S;
  }
  if (start >= end) throw badRequest("start must be before end");
  if (start > now) start = now;
  const alignedStart = Math.floor(start / intervalS) * intervalS;
  const alignedEnd = alignedStart + intervalS * Math.ceil((end - alignedStart) / intervalS);
  if ((alignedEnd - alignedStart) / intervalS > MAX_BUCKETS) {
    throw badRequest(
      "Your interval and date range would create too many results. Use a larger interval, or a smaller date range.",
    );
  }

  // 5. fields
  for (const f of fieldsRaw)
    if (!(FIELDS as readonly string[]).includes(f)) throw badRequest(`Invalid field: "${f}"`);
  // 6. groupBy
  for (const g of groupByRaw)
    if (!(GROUP_BYS as readonly string[]).includes(g)) throw badRequest(`Invalid groupBy: "${g}"`);
  // 7. category as group or filter
  const categoriesRaw = list(q.category);
  if (categoriesRaw.length === 0 && !groupByRaw.includes("category")) {
    throw badRequest("Query must have category as groupby or filter");
  }
  // 8. outcome
  const outcomes = list(q.outcome).map((o) => o.toLowerCase());
  for (const [i, o] of outcomes.entries()) {
    if (!(OUTCOMES as readonly string[]).includes(o))
      throw badRequest(`Invalid outcome: "${list(q.outcome)[i]}"`);
  }
  // 9. category
  for (const c of categoriesRaw) {
    if (!(CATEGORIES as readonly string[]).includes(c)) throw badRequest(`Invalid category: "${c}"`);
  }
  if (categoriesRaw.includes("attachment") && categoriesRaw.some((c) => c !== "attachment")) {
    throw badRequest("if filtering by attachment no other category may be present");
  }
  const categories = categoriesRaw.length
    ? [...new Set(categoriesRaw.flatMap((c) => (c === "error" ? ["default", "error", "security"] : [c])))]
    : null;
  // 10. reason
  const reasonRaw = single(q.reason);
  const reason =
    reasonRaw === undefined ? null : reasonRaw === "spike_protection" ? "smart_rate_limit" : reasonRaw;

  return {
    projectIds,
    fields: [...new Set(fieldsRaw)] as Field[],
    intervalS,
    start: alignedStart,
    end: alignedEnd,
    groupBy: [...new Set(groupByRaw)] as GroupBy[],
    outcomes: outcomes.length ? [...new Set(outcomes)] : null,
    categories,
    reason,
  };
}
