import type { Param } from "./db";

/**
 * Rows handed to one statement as parallel JSON arrays, one per column:
 * `SELECT unnest(?::JSON::UUID[]) AS id, unnest(?::JSON::BIGINT[]) AS n, …`. Column names and
 * types are the caller's constants; only values are bound.
 */
export function unnestRows(
  columns: ReadonlyArray<readonly [name: string, type: string, values: readonly unknown[]]>,
): {
  sql: string;
  params: Param[];
} {
  return {
    sql: `SELECT ${columns.map(([name, type]) => `unnest(?::JSON::${type}[]) AS ${name}`).join(", ")}`,
    params: columns.map(([, , values]) => values.map((v) => (v instanceof Date ? v.toISOString() : v))),
  };
}
