import { appUserIdSql } from "../lib/ids";
import type { Param, Tx } from "./db";

/**
 * What a user's events say of them, as aggregates over rows of `events` grouped by project and
 * user: the newest value of each `last_*` by event time (a backfill's old rows do not overwrite a
 * newer one).
 */
export const USER_STATS = `min(timestamp) AS first_seen_at, max(timestamp) AS last_seen_at, count(*) AS event_count,
  arg_max(is_dev, timestamp) AS is_dev,
  arg_max(app_version, timestamp) FILTER (WHERE app_version IS NOT NULL) AS last_app_version,
  arg_max(sdk_name, timestamp) FILTER (WHERE sdk_name IS NOT NULL) AS last_sdk_name,
  arg_max(sdk_version, timestamp) FILTER (WHERE sdk_version IS NOT NULL) AS last_sdk_version,
  arg_max(locale, timestamp) FILTER (WHERE locale IS NOT NULL) AS last_locale,
  arg_max(country_code, timestamp) FILTER (WHERE country_code IS NOT NULL) AS last_country_code`;

/** The `last_*` columns of a user's row: the newest value sent of each. */
export const LAST_COLUMNS = [
  "last_app_version",
  "last_sdk_name",
  "last_sdk_version",
  "last_locale",
  "last_country_code",
] as const;

/**
 * SET clauses that fold a newer aggregate (`excluded` in an upsert, `n` in a merge) into a stored
 * user row (`o`): sums and bounds, and each `last_*` from whichever saw the user last.
 */
export function foldUserStats(o: string, n: string): string {
  const newer = `${n}.last_seen_at >= ${o}.last_seen_at`;
  return [
    `first_seen_at = least(${o}.first_seen_at, ${n}.first_seen_at)`,
    `last_seen_at = greatest(${o}.last_seen_at, ${n}.last_seen_at)`,
    `event_count = ${o}.event_count + ${n}.event_count`,
    `is_dev = CASE WHEN ${newer} THEN ${n}.is_dev ELSE ${o}.is_dev END`,
    ...LAST_COLUMNS.map(
      (c) =>
        `${c} = CASE WHEN ${newer} THEN coalesce(${n}.${c}, ${o}.${c}) ELSE coalesce(${o}.${c}, ${n}.${c}) END`,
    ),
  ].join(", ");
}

/**
 * Inside the seal's transaction, before the hot rows received before `cutoff` go to Parquet:
 * rows of a claimed anonymous id take their user's id (the write path does so for events that
 * arrive after a claim; this catches a claim that raced a commit), then the users of those rows
 * are counted into app_users and app_user_apps. Same transaction as the rows' deletion: each
 * event is counted once.
 */
export async function rollUpUsers(tx: Tx, cutoff: Date): Promise<void> {
  await tx.run(
    `UPDATE events SET user_id = c.user_id FROM identity_claims c
     WHERE events.received_at < ? AND events.project_id = c.project_id AND events.user_id = c.anonymous_id`,
    [cutoff],
  );
  await countUsers(tx, { sql: "SELECT * FROM events WHERE received_at < ?", params: [cutoff] });
}

/**
 * Counts the users of a relation of events (project_id, app_id, user_id, timestamp and the
 * `last_*` columns) into app_users and app_user_apps, a claimed anonymous id as its user.
 */
export async function countUsers(tx: Tx, events: { sql: string; params: Param[] }): Promise<void> {
  const rows = `FROM (
    SELECT r.* REPLACE (coalesce((SELECT c.user_id FROM identity_claims c
      WHERE c.project_id = r.project_id AND c.anonymous_id = r.user_id), r.user_id) AS user_id)
    FROM (${events.sql}) AS r WHERE r.user_id IS NOT NULL) AS e`;
  await tx.run(
    `INSERT INTO app_users (id, project_id, user_id, properties, first_seen_at, last_seen_at, event_count, is_dev,
       ${LAST_COLUMNS.join(", ")})
     SELECT ${appUserIdSql("project_id", "user_id")}, project_id, user_id, NULL, ${USER_STATS}
     ${rows} GROUP BY project_id, user_id
     ON CONFLICT (project_id, user_id) DO UPDATE SET ${foldUserStats("app_users", "excluded")}`,
    events.params,
  );
  await tx.run(
    `INSERT INTO app_user_apps
     SELECT project_id, user_id, app_id, min(timestamp), max(timestamp), count(*)
     ${rows} GROUP BY project_id, user_id, app_id
     ON CONFLICT (project_id, user_id, app_id) DO UPDATE SET
       first_seen_at = least(app_user_apps.first_seen_at, excluded.first_seen_at),
       last_seen_at = greatest(app_user_apps.last_seen_at, excluded.last_seen_at),
       event_count = app_user_apps.event_count + excluded.event_count`,
    events.params,
  );
}
