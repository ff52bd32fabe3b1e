import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { Tx } from "../../store/db";
import type { StoredError } from "./repository";

/**
 * A cluster's side of grouping (decision 017): errors are read back from ClickHouse by the one
 * node that groups, in grouping's order; the grouping tables are in PostgreSQL.
 */

/** Errors as grouping reads them (an Owlmetry error, or a Sentry error event). */
const ERRORS = `((isNull(kind) AND level = 'error') OR kind = 'event')`;

const FIELDS = `toString(id) AS id, toString(project_id) AS projectId, toString(app_id) AS appId, is_dev AS isDev,
  session_id AS sessionId, user_id AS userId, level, message, source_module AS sourceModule,
  custom_attributes AS customAttributes, kind, if(kind = 'event', payload, NULL) AS payload,
  app_version AS appVersion, sdk_name AS sdkName, sdk_version AS sdkVersion, environment,
  country_code AS countryCode, ts AS timestamp, received_ms AS receivedAt`;

type Row = Omit<StoredError, "isDev" | "timestamp" | "receivedAt"> & {
  isDev: number;
  timestamp: string | number;
  receivedAt: string | number;
};

const errorOfRow = (r: Row): StoredError => ({
  ...r,
  isDev: Number(r.isDev) === 1,
  timestamp: Number(r.timestamp),
  receivedAt: Number(r.receivedAt),
});

/** The next errors after `after` (received, then id), received by `until`: at most `limit`. */
export async function errorsAfter(
  ch: ClickHouse,
  after: { ms: number; id: string },
  until: number,
  limit: number,
): Promise<StoredError[]> {
  const rows = await ch.rows<Row>(
    `SELECT ${FIELDS} FROM events
     WHERE ${ERRORS} AND received_ms <= ${literal(until)}
       AND (received_ms > ${literal(after.ms)} OR (received_ms = ${literal(after.ms)} AND toString(id) > ${literal(after.id)}))
     ORDER BY received_ms, toString(id) LIMIT ${literal(limit)}`,
  );
  return rows.map(errorOfRow);
}

/** The ids of errors received in [from, to]: what a late insert may have left behind the cursor. */
export async function errorIdsBetween(ch: ClickHouse, from: number, to: number): Promise<string[]> {
  const rows = await ch.rows<{ id: string }>(
    `SELECT toString(id) AS id FROM events
     WHERE ${ERRORS} AND received_ms >= ${literal(from)} AND received_ms <= ${literal(to)}`,
  );
  return rows.map((r) => r.id);
}

/** Every stored error of a project, in grouping's order (`roost issues rebuild`). */
export async function projectErrors(ch: ClickHouse, projectId: string): Promise<StoredError[]> {
  const rows = await ch.rows<Row>(
    `SELECT ${FIELDS} FROM events WHERE ${ERRORS} AND project_id = toUUID(${literal(projectId)})
     ORDER BY received_ms, ts, id`,
  );
  return rows.map(errorOfRow);
}

/** These errors, in grouping's order. */
export async function errorsById(ch: ClickHouse, ids: readonly string[]): Promise<StoredError[]> {
  if (ids.length === 0) return [];
  const rows = await ch.rows<Row>(
    `SELECT ${FIELDS} FROM events WHERE id IN (${ids.map((id) => `toUUID(${literal(id)})`).join(", ")})
     ORDER BY received_ms, ts, id`,
  );
  return rows.map(errorOfRow);
}

/** Which of these errors the issue index holds (grouped already). */
export async function indexed(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.all<{ id: string }>(
    "SELECT event_id::VARCHAR AS id FROM issue_events WHERE event_id = ANY(?::JSON::UUID[])",
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** Where grouping got to: the newest error the index holds (received, id). */
export async function groupedUpTo(tx: Tx): Promise<{ ms: number; id: string }> {
  const [row] = await tx.all<{ ms: number | null; id: string | null }>(
    `SELECT epoch_ms(received_at) AS ms, event_id::VARCHAR AS id FROM issue_events
     ORDER BY received_at DESC, event_id DESC LIMIT 1`,
  );
  return { ms: row?.ms ?? 0, id: row?.id ?? "" };
}
