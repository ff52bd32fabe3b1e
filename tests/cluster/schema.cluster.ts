import { afterAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/lib/log";
import { ClickHouse } from "../../src/store/clickhouse/client";
import { migrateEventStore } from "../../src/store/clickhouse/migrations";
import { requireCluster } from "./nodes";

/**
 * The event store's migrations on the cluster's own ClickHouse 18.16 (decision 017): 18.16 has no
 * ADD COLUMN IF NOT EXISTS, so a migration cut short after adding a column must still run again.
 */
requireCluster();
const ch = new ClickHouse({
  url: process.env.ROOST_CLICKHOUSE_URL as string,
  shards: (process.env.ROOST_CLICKHOUSE_SHARDS as string).split(","),
  cluster: process.env.ROOST_CLICKHOUSE_CLUSTER ?? "roost",
});
afterAll(() => ch.close());
const log = createLogger("silent", () => {});
const version = 900_000 + Math.floor(Math.random() * 90_000);

const columnsOf = async (shard: number, table: string) =>
  (
    await ch.rowsOnShard<{ name: string }>(
      shard,
      `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${table}'`,
    )
  ).map((r) => r.name);

describe("event store migrations", () => {
  test("a migration whose column one shard has already (cut short) is applied on every shard", async () => {
    const table = `migration_probe_${version}`;
    const migration = {
      version,
      name: "probe",
      sql: `
CREATE TABLE IF NOT EXISTS ${table} (a Int64) ENGINE = MergeTree ORDER BY a;
ALTER TABLE ${table} ADD COLUMN b Nullable(String);
`,
    };
    // Shard 0 ran the statements before it stopped, and recorded nothing.
    await ch.commandOnShard(0, `CREATE TABLE ${table} (a Int64) ENGINE = MergeTree ORDER BY a`);
    await ch.commandOnShard(0, `ALTER TABLE ${table} ADD COLUMN b Nullable(String)`);
    expect(await migrateEventStore(ch, log, [migration])).toBe(ch.shardCount);
    for (let shard = 0; shard < ch.shardCount; shard++) {
      expect(await columnsOf(shard, table)).toEqual(["a", "b"]);
      await ch.commandOnShard(shard, `DROP TABLE ${table}`);
    }
    // Recorded: a second run applies nothing.
    expect(await migrateEventStore(ch, log, [migration])).toBe(0);
  });

  test("any other failure of a statement stops the migration, unrecorded", async () => {
    const broken = {
      version: version + 1,
      name: "broken",
      sql: "ALTER TABLE no_such_table ADD COLUMN b String;",
    };
    await expect(migrateEventStore(ch, log, [broken])).rejects.toThrow(/no_such_table/);
    const recorded = await ch.rowsOnShard<{ n: number }>(
      0,
      `SELECT count() AS n FROM schema_migrations WHERE version = ${broken.version}`,
    );
    expect(Number(recorded[0]?.n)).toBe(0);
  });

  test("every shard's events carry the metric and step columns", async () => {
    for (let shard = 0; shard < ch.shardCount; shard++) {
      for (const table of ["events_local", "events"]) {
        expect(await columnsOf(shard, table)).toEqual(
          expect.arrayContaining([
            "metric_slug",
            "metric_phase",
            "tracking_id",
            "duration_ms",
            "metric_error",
            "step_name",
          ]),
        );
      }
    }
  });
});
