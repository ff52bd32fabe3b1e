import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { ReleaseHealthRow } from "./repository";

/** `releaseHealth` on a cluster's ClickHouse (decision 017): the same rows, from `sentry_sessions`. */
export async function releaseHealthClickHouse(
  ch: ClickHouse,
  appIds: readonly string[],
  since: Date,
  until: Date | null,
  environment: string | null,
): Promise<ReleaseHealthRow[]> {
  if (appIds.length === 0) return [];
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  const conditions = [
    `app_id IN (${appIds.map((id) => `toUUID(${literal(id)})`).join(", ")})`,
    `hour >= toStartOfHour(toDateTime(${seconds(since)}))`,
  ];
  if (until) conditions.push(`hour < toDateTime(${seconds(until)})`);
  if (environment !== null) conditions.push(`environment = ${literal(environment)}`);
  const of = (status: string) => `sumIf(quantity, status = ${literal(status)})`;
  const rows = await ch.rows<Record<string, string | number>>(
    `SELECT release, environment AS env, ${of("started")} AS sessions, ${of("exited")} AS exited,
       ${of("errored")} AS errored, ${of("crashed")} AS crashed, ${of("abnormal")} AS abnormal,
       toUnixTimestamp(min(hour)) AS first_s, toUnixTimestamp(max(hour)) AS last_s
     FROM sentry_sessions WHERE ${conditions.join(" AND ")}
     GROUP BY release, env
     ORDER BY sessions DESC, release, env
     LIMIT 1000`,
  );
  return rows.map((r) => ({
    release: String(r.release),
    environment: r.env === "" ? null : String(r.env),
    sessions: Number(r.sessions),
    exited: Number(r.exited),
    errored: Number(r.errored),
    crashed: Number(r.crashed),
    abnormal: Number(r.abnormal),
    first_seen: new Date(Number(r.first_s) * 1000),
    last_seen: new Date(Number(r.last_s) * 1000),
  }));
}
