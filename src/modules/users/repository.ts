import { isUuid } from "../../lib/ids";
import type { Tx } from "../../store/db";
import type { Role } from "../access/permissions";

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Date;
}

const COLUMNS = "id::VARCHAR AS id, email, name, password_hash, created_at";

/** Emails are stored lowercased, so lookups are case-insensitive. */
export async function findUserByEmail(db: Tx, email: string): Promise<UserRow | null> {
  const rows = await db.all<UserRow>(`SELECT ${COLUMNS} FROM users WHERE email = ?`, [email.toLowerCase()]);
  return rows[0] ?? null;
}

export async function findUser(db: Tx, id: string): Promise<UserRow | null> {
  if (!isUuid(id)) return null;
  const rows = await db.all<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = ?::UUID`, [id]);
  return rows[0] ?? null;
}

export async function insertUser(
  tx: Tx,
  user: { id: string; email: string; name: string; passwordHash: string },
): Promise<void> {
  await tx.run("INSERT INTO users (id, email, name, password_hash) VALUES (?, ?, ?, ?)", [
    user.id,
    user.email.toLowerCase(),
    user.name,
    user.passwordHash,
  ]);
}

export async function countUsers(db: Tx): Promise<number> {
  const rows = await db.all<{ n: number }>("SELECT count(*) AS n FROM users");
  return rows[0]?.n ?? 0;
}

export async function rolesOf(db: Tx, userId: string): Promise<Map<string, Role>> {
  const rows = await db.all<{ team_id: string; role: Role }>(
    "SELECT team_id::VARCHAR AS team_id, role FROM memberships WHERE user_id = ?::UUID",
    [userId],
  );
  return new Map(rows.map((r) => [r.team_id, r.role]));
}

export async function findMembership(db: Tx, teamId: string, userId: string): Promise<Role | null> {
  const rows = await db.all<{ role: Role }>(
    "SELECT role FROM memberships WHERE team_id = ?::UUID AND user_id = ?::UUID",
    [teamId, userId],
  );
  return rows[0]?.role ?? null;
}

export async function insertMembership(tx: Tx, teamId: string, userId: string, role: Role): Promise<void> {
  await tx.run("INSERT INTO memberships (team_id, user_id, role) VALUES (?, ?, ?)", [teamId, userId, role]);
}

/** Every user who owns at least one team. */
export async function ownerIds(db: Tx): Promise<string[]> {
  const rows = await db.all<{ id: string }>(
    "SELECT DISTINCT user_id::VARCHAR AS id FROM memberships WHERE role = 'owner' ORDER BY id",
  );
  return rows.map((r) => r.id);
}
