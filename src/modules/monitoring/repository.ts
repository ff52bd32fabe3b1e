import type { Tx } from "../../store/db";

/** What a scrape reads from the store: hot rows, the lake's live files and bytes, DuckDB's memory by use. */
export async function storeGauges(tx: Tx) {
  const [sizes] = await tx.all<{ hot: number; files: number; bytes: number }>(
    `SELECT (SELECT count(*) FROM events) AS hot, count(*) AS files, coalesce(sum(bytes), 0)::BIGINT AS bytes
     FROM lake_files`,
  );
  const memory = await tx.all<{ tag: string; bytes: number }>(
    "SELECT tag, memory_usage_bytes AS bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0",
  );
  return { hot: sizes?.hot ?? 0, files: sizes?.files ?? 0, bytes: Number(sizes?.bytes ?? 0), memory };
}
