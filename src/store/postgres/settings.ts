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

/** The control plane's version (bumped by every change to it, decision 017). */
export async function controlVersion(pg: PgStore): Promise<number> {
  const [row] = await pg.read<{ version: number }>("SELECT version FROM control_version");
  return row?.version ?? 0;
}
