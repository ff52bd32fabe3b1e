import type { Tx } from "../../store/db";

export interface ReleaseHealthRow {
  release: string;
  environment: string | null;
  sessions: number;
  exited: number;
  errored: number;
  crashed: number;
  abnormal: number;
  first_seen: Date;
  last_seen: Date;
}

/** Session counts per (release, environment) of these apps, busiest release first. */
export async function releaseHealth(
  db: Tx,
  appIds: readonly string[],
  since: Date,
  until: Date | null,
  environment: string | null,
): Promise<ReleaseHealthRow[]> {
  const of = (status: string) => `coalesce(sum(quantity) FILTER (WHERE status = '${status}'), 0)::BIGINT`;
  return db.all<ReleaseHealthRow>(
    `SELECT release, environment, ${of("started")} AS sessions, ${of("exited")} AS exited,
       ${of("errored")} AS errored, ${of("crashed")} AS crashed, ${of("abnormal")} AS abnormal,
       min(hour) AS first_seen, max(hour) AS last_seen
     FROM sentry_sessions
     WHERE list_contains(?::JSON::UUID[], app_id) AND hour >= date_trunc('hour', ?::TIMESTAMPTZ)
       AND (?::TIMESTAMPTZ IS NULL OR hour < ?::TIMESTAMPTZ)
       AND (?::VARCHAR IS NULL OR environment = ?::VARCHAR)
     GROUP BY release, environment
     ORDER BY sessions DESC, release, environment NULLS FIRST
     LIMIT 1000`,
    [appIds, since, until, until, environment, environment],
  );
}
