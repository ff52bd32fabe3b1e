import type { Database } from "./db";
import { type Migration, schema } from "./schema";

/** The data directory is ahead of this build: starting would run old code on a newer schema. */
export class NewerSchemaError extends Error {}

/**
 * Applies, in order, each migration not yet recorded in `schema_migrations`, each in its own
 * transaction together with its record, so a crash mid-way leaves it either applied or not.
 */
export async function migrate(store: Database, migrations: readonly Migration[] = schema): Promise<number[]> {
  await store.write((tx) =>
    tx.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    ),
  );
  const done = new Set(
    (await store.read<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => r.version),
  );
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...done);
  if (newest > known) {
    throw new NewerSchemaError(
      `This data directory was migrated by a newer Roost (schema version ${newest}); this one knows up to ${known}. ` +
        "Run the newer version, or restore the copy of the data directory made before upgrading.",
    );
  }
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    await store.write(async (tx) => {
      for (const statement of splitStatements(migration.sql)) await tx.run(statement);
      await tx.run("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [
        migration.version,
        migration.name,
      ]);
    });
    applied.push(migration.version);
  }
  // Schema changes go into the database file at once: DuckDB 1.5 cannot replay some DDL (ALTER …
  // ADD COLUMN … DEFAULT) from its WAL, so a kill -9 right after a migration could stop the start.
  if (applied.length > 0) await store.checkpoint();
  return applied;
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
