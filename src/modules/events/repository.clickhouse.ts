import type { ClickHouse } from "../../store/clickhouse/client";
import { type Literal, literal, uuids } from "../../store/clickhouse/literal";
import type { Database } from "../../store/db";
import type { IdentityClaims } from "../identity/claims";
import { claimedUser } from "../identity/repository.cluster";
import type { EventFilters } from "./params";
import {
  type EventRow,
  type EventsStore,
  issueEventIds,
  issuePageSpan,
  issueScope,
  type Visible,
} from "./repository";

/**
 * The events API's queries on ClickHouse (decision 017), side by side with the embedded store's in
 * repository.ts: the same filters, order and cursor over the Distributed `events` table. Times are
 * epoch milliseconds; the cursor keeps microseconds (ms × 1000) so a cursor means the same on both.
 */
export function clickhouseEvents(
  ch: ClickHouse,
  claims: IdentityClaims | null = null,
  /** The control plane, where the issue index is (decision 017); null: no issue filter. */
  issues: Pick<Database, "read"> | null = null,
): EventsStore {
  /** An issue filter without the service's span names every error of the issue. */
  const withIssueIds = async <F extends EventFilters>(f: F): Promise<F> =>
    f.issueId === undefined || f.issueEventIds || !issues
      ? f
      : { ...f, issueEventIds: await issueEventIds(issues, f.issueId) };
  return {
    async list(visible, params) {
      const p = await withIssueIds(params);
      const where = conditions(visible, p);
      if (p.cursor) {
        const ts = Number(BigInt(p.cursor.ts) / 1000n);
        const op = p.order === "desc" ? "<" : ">";
        where.push(
          `(ts ${op} ${literal(ts)} OR (ts = ${literal(ts)} AND id ${op} toUUID(${literal(p.cursor.id)})))`,
        );
      }
      const direction = p.order === "desc" ? "DESC" : "ASC";
      // Two steps: the page's keys first (two narrow columns sorted), then its rows by id. One
      // step read every column of every matching row before the LIMIT (ClickHouse 18.16 sorts
      // all of them): 150–190 ms for a newest page over 700k events of one hour.
      const keys = (bound: string | null) =>
        ch.rows<{ ts: number; i: string }>(
          `SELECT ts, toString(id) AS i FROM events WHERE ${[...where, ...(bound ? [bound] : [])].join(" AND ")}
           ORDER BY ts ${direction}, id ${direction} LIMIT ${literal(p.limit + 1)}`,
        );
      let page: Array<{ ts: number; i: string }> | null = null;
      // A newest-first page reads the last hour before its end first, then a day, a week, all.
      if (p.order === "desc") {
        const end = p.cursor
          ? Number(BigInt(p.cursor.ts) / 1000n) + 1
          : (p.until?.getTime() ?? Date.now() + 300_000);
        for (const span of WINDOWS) {
          const from = end - span;
          if (p.since && from <= p.since.getTime()) break;
          const found = await keys(`ts >= ${literal(from)}`);
          if (found.length > p.limit) {
            page = found;
            break;
          }
        }
      }
      page ??= await keys(null);
      if (page.length === 0) return [];
      const times = page.map((k) => Number(k.ts));
      const rows = await ch.rows<ClickHouseRow>(
        `SELECT ${FIELDS} FROM events
         WHERE app_id IN (${uuids(visible.appIds)}) AND ts >= ${literal(Math.min(...times))} AND ts <= ${literal(Math.max(...times))}
           AND id IN (${uuids(page.map((k) => k.i))})`,
      );
      const order = new Map(page.map((k, index) => [k.i, index]));
      return rows.sort((a, b) => (order.get(a.id_text) ?? 0) - (order.get(b.id_text) ?? 0)).map(eventRow);
    },

    async count(visible, filters, claimed) {
      const f = await withIssueIds(filters);
      // A claimed anonymous id counts as its user: rows keep the id they were stored under.
      const user = claimedUser(claimed && claims ? claims.pairsIn(visible.projectIds) : []);
      const [row] = await ch.rows<{ count: number; unique_users: number; unique_sessions: number }>(
        `SELECT count() AS count, uniqExact(${user}) AS unique_users, uniqExact(session_id) AS unique_sessions
         FROM events WHERE ${conditions(visible, f).join(" AND ")}`,
      );
      return {
        count: Number(row?.count ?? 0),
        unique_users: Number(row?.unique_users ?? 0),
        unique_sessions: Number(row?.unique_sessions ?? 0),
      };
    },

    async find(visible, id, at) {
      const when = at ? ` AND ts = ${literal(at.getTime())}` : "";
      const [row] = await ch.rows<ClickHouseRow & { kind: string | null; payload: string | null }>(
        `SELECT ${FIELDS}, kind, payload FROM events
         WHERE id = toUUID(${literal(id)}) AND app_id IN (${uuids(visible.appIds)})${when} LIMIT 1`,
      );
      return row ? { ...eventRow(row), kind: row.kind, payload: row.payload } : null;
    },

    issueScope: async (issueId) => (issues ? issueScope(issues, issueId) : null),
    issuePageSpan: async (issueId, order, cursorUs, limit) =>
      issues ? issuePageSpan(issues, issueId, order, cursorUs, limit) : null,
  };
}

/** The spans a newest-first page tries before reading without a bound: an hour, a day, a week. */
const WINDOWS = [3_600_000, 86_400_000, 7 * 86_400_000];

// Ids as text under other names: ClickHouse sees a SELECT's aliases in its WHERE, where the
// conditions compare the UUID columns.
const FIELDS = `toString(id) AS id_text, toString(app_id) AS app_id_text, toString(project_id) AS project_id_text, client_event_id,
  session_id, user_id, api_key_id, level, source_module, message, screen_name, custom_attributes, experiments,
  environment, os_version, app_version, sdk_name, sdk_version, build_number, device_model, locale, country_code,
  is_dev, ts, received_ms`;

type ClickHouseRow = Omit<
  EventRow,
  "id" | "app_id" | "project_id" | "timestamp" | "received_at" | "ts_us" | "is_dev"
> & {
  id_text: string;
  app_id_text: string;
  project_id_text: string;
  is_dev: number;
  ts: number;
  received_ms: number;
};

function eventRow({
  id_text,
  app_id_text,
  project_id_text,
  ts,
  received_ms,
  is_dev,
  ...row
}: ClickHouseRow): EventRow {
  return {
    ...row,
    id: id_text,
    app_id: app_id_text,
    project_id: project_id_text,
    is_dev: Number(is_dev) === 1,
    timestamp: new Date(Number(ts)).toISOString(),
    received_at: new Date(Number(received_ms)).toISOString(),
    ts_us: String(BigInt(ts) * 1000n),
  };
}

const inList = (values: readonly Literal[]) => values.map((v) => literal(v)).join(", ");

/** The filters as conditions, every value a literal. */
function conditions(visible: Visible, f: EventFilters): string[] {
  const where = [`app_id IN (${uuids(visible.appIds)})`];
  if (f.levels) where.push(`level IN (${inList(f.levels)})`);
  const users = f.userIds ?? (f.userId !== undefined ? [f.userId] : undefined);
  if (users) where.push(`user_id IN (${inList(users)})`);
  if (f.sessionId !== undefined) where.push(`session_id = ${literal(f.sessionId)}`);
  if (f.screenName !== undefined) where.push(`screen_name = ${literal(f.screenName)}`);
  if (f.environment !== undefined) where.push(`environment = ${literal(f.environment)}`);
  if (f.since) where.push(`ts >= ${literal(f.since.getTime())}`);
  if (f.until) where.push(`ts < ${literal(f.until.getTime())}`);
  if (f.isDev !== null) where.push(`is_dev = ${literal(f.isDev)}`);
  // An issue's errors by id, from its index in PostgreSQL (the service's page span, or all of them).
  if (f.issueEventIds) where.push(f.issueEventIds.length > 0 ? `id IN (${uuids(f.issueEventIds)})` : "0");
  else if (f.issueId !== undefined) where.push("0");
  return where;
}
