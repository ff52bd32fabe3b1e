import type { Logger } from "../../lib/log";
import type { Migration } from "../schema";
import type { ClickHouse } from "./client";
import { literal } from "./literal";
import { eventStore } from "./schema";

const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Applies the event store's migrations on every shard, each recorded on its shard. The caller
 * holds the cluster-wide write lock (PostgreSQL's), so two nodes starting at once do not race;
 * every statement is also `IF NOT EXISTS`, so a migration cut short runs again cleanly.
 */
export async function migrateEventStore(
  ch: ClickHouse,
  log: Logger,
  migrations: readonly Migration[] = eventStore,
): Promise<number> {
  const cluster = ch.config.cluster;
  if (!CLUSTER_NAME.test(cluster))
    throw new Error(`ROOST_CLICKHOUSE_CLUSTER must be an identifier, got '${cluster}'`);
  let applied = 0;
  for (let shard = 0; shard < ch.shardCount; shard++) {
    await ch.commandOnShard(
      shard,
      "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime) ENGINE = TinyLog",
    );
    const done = new Set(
      (await ch.rowsOnShard<{ version: number }>(shard, "SELECT version FROM schema_migrations")).map((r) =>
        Number(r.version),
      ),
    );
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.sql
        .split(/;\s*$/m)
        .map((s) => s.trim())
        .filter(Boolean)) {
        await ch.commandOnShard(shard, statement.replaceAll("{cluster}", cluster)).catch((error: unknown) => {
          // A migration cut short after adding some columns: they are there (18.16 has no
          // ADD COLUMN IF NOT EXISTS), so its rerun counts them as added.
          if (!/Code: 44\b.*already exists/.test(String(error))) throw error;
        });
      }
      await ch.commandOnShard(
        shard,
        `INSERT INTO schema_migrations VALUES (${literal(migration.version)}, ${literal(migration.name)}, now())`,
      );
      applied++;
    }
  }
  if (applied > 0) log.info("event store migrated", { shards: ch.shardCount, applied });
  return applied;
}
