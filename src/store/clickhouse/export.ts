import type { ClickHouse } from "./client";
import { literal } from "./literal";

/**
 * The events stored in [from, to) as newline-delimited JSON, in the embedded hot table's columns
 * (times as epoch milliseconds): what `roost export` turns into the lake's Parquet layout.
 */
export async function eventsAsJsonLines(
  ch: ClickHouse,
  from: number,
  to: number,
): Promise<{ text: string; rows: number }> {
  const rows = await ch.rows<Record<string, unknown>>(
    `SELECT toString(id) AS id, toString(app_id) AS app_id, toString(project_id) AS project_id, client_event_id,
       session_id, user_id, api_key_id, level, source_module, message, screen_name, custom_attributes, experiments,
       environment, os_version, app_version, sdk_name, sdk_version, build_number, device_model, locale, country_code,
       is_dev, ts, received_ms, kind, payload
     FROM events WHERE ts >= ${literal(from)} AND ts < ${literal(to)}`,
  );
  return { text: rows.map((r) => JSON.stringify(r)).join("\n"), rows: rows.length };
}
