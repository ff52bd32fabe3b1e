import { mkdirSync } from "node:fs";
import type { Store } from "../db";
import { WRITE_OPTIONS } from "./files";
import { FORMAT_TAG, HOT_AS_FILE_COLUMNS } from "./format";

const COLUMNS = `{
  id: 'UUID', app_id: 'UUID', project_id: 'UUID', client_event_id: 'VARCHAR', session_id: 'VARCHAR',
  user_id: 'VARCHAR', api_key_id: 'UUID', level: 'VARCHAR', source_module: 'VARCHAR', message: 'VARCHAR',
  screen_name: 'VARCHAR', custom_attributes: 'VARCHAR', experiments: 'VARCHAR', environment: 'VARCHAR',
  os_version: 'VARCHAR', app_version: 'VARCHAR', sdk_name: 'VARCHAR', sdk_version: 'VARCHAR',
  build_number: 'VARCHAR', device_model: 'VARCHAR', locale: 'VARCHAR', country_code: 'VARCHAR',
  is_dev: 'INTEGER', ts: 'BIGINT', received_ms: 'BIGINT', kind: 'VARCHAR', payload: 'VARCHAR'
}`;

/**
 * Writes events from a newline-delimited JSON file (clickhouse/export.ts's rows) into `root` in the
 * lake's layout: `events/project_id=…/date=…/hour=…/<uuid>_s9.parquet`, the columns and types a
 * seal writes, sorted as compaction sorts. Goes through the scratch store's hot table, so the
 * conversion is the seal's own. Returns the rows written.
 */
export async function writeEventsLayout(scratch: Store, jsonFile: string, root: string): Promise<number> {
  mkdirSync(`${root}/events`, { recursive: true });
  return scratch.write(async (tx) => {
    await tx.run(
      `INSERT INTO events BY NAME SELECT * EXCLUDE (is_dev, ts, received_ms),
         is_dev = 1 AS is_dev, make_timestamp(ts * 1000)::TIMESTAMPTZ AS timestamp,
         make_timestamp(received_ms * 1000)::TIMESTAMPTZ AS received_at
       FROM read_json(?, format = 'newline_delimited', columns = ${COLUMNS})`,
      [jsonFile],
    );
    const [count] = await tx.all<{ n: number }>("SELECT count(*) AS n FROM events");
    // The root is the operator's --out, resolved by the CLI; no request value reaches it.
    await tx.run(
      `COPY (
         SELECT ${HOT_AS_FILE_COLUMNS}, project_id, strftime(timestamp, '%Y-%m-%d') AS date, strftime(timestamp, '%H') AS hour
         FROM events ORDER BY app_id, timestamp, id
       ) TO '${`${root}/events`.replaceAll("'", "''")}' (${WRITE_OPTIONS}, PARTITION_BY (project_id, date, hour),
         FILENAME_PATTERN '{uuid}${FORMAT_TAG}', OVERWRITE_OR_IGNORE)`,
    );
    await tx.run("DELETE FROM events");
    return count?.n ?? 0;
  });
}
