import type { Param } from "../db";

/**
 * The events files' formats. Files written since schema 9 carry two more columns, `kind` and
 * `payload` (what Sentry's envelopes bring), and their names end in `_s9.parquet`; older files
 * lack both and read as if both were null (decision 009). The format is in the file's name, so a
 * reader holding only paths knows how to read each file, and a union of both kinds costs nothing
 * extra while all files are new (`union_by_name` over all files cost 0.05 ms a file at bind time).
 */
export const FORMAT_TAG = "_s9";

export const isCurrentFormat = (path: string): boolean => path.endsWith(`${FORMAT_TAG}.parquet`);

/** The columns of an events file, in order (project_id, date and hour are in its path). */
const FILE_COLUMNS = [
  "id",
  "app_id",
  "client_event_id",
  "session_id",
  "user_id",
  "api_key_id",
  "level",
  "source_module",
  "message",
  "screen_name",
  "custom_attributes",
  "experiments",
  "environment",
  "os_version",
  "app_version",
  "sdk_name",
  "sdk_version",
  "build_number",
  "device_model",
  "locale",
  "country_code",
  "is_dev",
  "timestamp",
  "received_at",
  "kind",
  "payload",
] as const;

/** JSON object text in the hot table, MAP(VARCHAR, VARCHAR) in a file. */
const MAP_COLUMNS: ReadonlySet<string> = new Set(["custom_attributes", "experiments"]);

export const EVENT_FILE_COLUMNS = FILE_COLUMNS.join(", ");

/** The hot table's columns typed as an events file holds them: what a seal writes, what reads union. */
export const HOT_AS_FILE_COLUMNS = FILE_COLUMNS.map((c) =>
  MAP_COLUMNS.has(c) ? `${c}::JSON::MAP(VARCHAR, VARCHAR) AS ${c}` : c,
).join(", ");

/**
 * Every row of the given events files (absolute paths, at least one) with the current columns;
 * `options` are read_parquet's (hive partitioning, filename). Each format's files are read in one
 * read_parquet, so a list that mixes them is two reads joined by name.
 */
export function readEventFiles(files: readonly string[], options = ""): { sql: string; params: Param[] } {
  const current = files.filter(isCurrentFormat);
  const legacy = files.filter((f) => !isCurrentFormat(f));
  const read = `read_parquet(?::VARCHAR[]${options ? `, ${options}` : ""})`;
  const parts: Array<{ sql: string; params: Param[] }> = [];
  if (current.length > 0) parts.push({ sql: `SELECT * FROM ${read}`, params: [current] });
  if (legacy.length > 0) {
    parts.push({
      sql: `SELECT *, NULL::VARCHAR AS kind, NULL::VARCHAR AS payload FROM ${read}`,
      params: [legacy],
    });
  }
  if (parts.length === 0) throw new Error("readEventFiles needs at least one file");
  return {
    sql: parts.map((p) => p.sql).join(" UNION ALL BY NAME "),
    params: parts.flatMap((p) => p.params),
  };
}
