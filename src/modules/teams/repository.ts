import { isUuid } from "../../lib/ids";
import type { Tx } from "../../store/db";

export interface TeamRow {
  id: string;
  name: string;
  slug: string;
  created_at: Date;
}

const COLUMNS = "id::VARCHAR AS id, name, slug, created_at";

export async function insertTeam(tx: Tx, team: { id: string; name: string; slug: string }): Promise<void> {
  await tx.run("INSERT INTO teams (id, name, slug) VALUES (?, ?, ?)", [team.id, team.name, team.slug]);
}

export async function findTeam(db: Tx, id: string): Promise<TeamRow | null> {
  if (!isUuid(id)) return null;
  const rows = await db.all<TeamRow>(`SELECT ${COLUMNS} FROM teams WHERE id = ?::UUID`, [id]);
  return rows[0] ?? null;
}

export async function findTeamBySlug(db: Tx, slug: string): Promise<TeamRow | null> {
  const rows = await db.all<TeamRow>(`SELECT ${COLUMNS} FROM teams WHERE slug = ?`, [slug]);
  return rows[0] ?? null;
}

export async function listTeams(db: Tx, ids: readonly string[]): Promise<TeamRow[]> {
  if (ids.length === 0) return [];
  return db.all<TeamRow>(
    `SELECT ${COLUMNS} FROM teams WHERE list_contains(?::JSON::UUID[], id) ORDER BY created_at, id`,
    [ids],
  );
}

export async function slugsStartingWith(db: Tx, base: string): Promise<string[]> {
  const rows = await db.all<{ slug: string }>("SELECT slug FROM teams WHERE starts_with(slug, ?)", [base]);
  return rows.map((r) => r.slug);
}

export async function allTeamIds(db: Tx): Promise<string[]> {
  return (await db.all<{ id: string }>("SELECT id::VARCHAR AS id FROM teams ORDER BY created_at, id")).map(
    (r) => r.id,
  );
}
