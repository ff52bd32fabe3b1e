import type { Tx } from "../db";
import type { PgStore } from "./db";

/** A value every node shares (the session signing secret): the first node to ask makes it. */
export async function sharedSetting(pg: PgStore, name: string, make: () => string): Promise<string> {
  await pg.atomic((tx) =>
    tx.run("INSERT INTO cluster_settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [name, make()]),
  );
  const [row] = await pg.read<{ value: string }>("SELECT value FROM cluster_settings WHERE name = ?", [name]);
  if (!row) throw new Error(`cluster setting ${name} is missing`);
  return row.value;
}

/**
 * What a node checks before each request (decision 017), in one query: the control plane's
 * version (moved by every change to teams, users, projects, apps and keys) and the identity
 * claims' (moved by every claim), so a claim does not drop the caches of keys.
 */
export async function sharedVersions(pg: PgStore): Promise<{ control: number; claims: number }> {
  const [row] = await pg.read<{ control: number; claims: number }>(
    `SELECT (SELECT version FROM control_version) AS control,
       (SELECT version FROM cluster_versions WHERE name = 'identity_claims') AS claims`,
  );
  return { control: row?.control ?? 0, claims: row?.claims ?? 0 };
}

/** A counter of `cluster_versions` (the grouping memory's, moved by merges). */
export async function clusterVersion(tx: Tx, name: "issue_memory" | "identity_claims"): Promise<number> {
  const [row] = await tx.all<{ version: number }>("SELECT version FROM cluster_versions WHERE name = ?", [
    name,
  ]);
  return row?.version ?? 0;
}

/** Moves a counter of `cluster_versions`: every node that holds what it counts reloads it. */
export async function bumpClusterVersion(tx: Tx, name: "issue_memory" | "identity_claims"): Promise<void> {
  await tx.run("UPDATE cluster_versions SET version = version + 1 WHERE name = ?", [name]);
}
