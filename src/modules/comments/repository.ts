import type { Tx } from "../../store/db";

/** The things people comment on, each with its table and the column naming the thing. */
const THREADS = {
  feedback: { table: "feedback_comments", parent: "feedback_id" },
  issues: { table: "issue_comments", parent: "issue_id" },
} as const;
export type Thread = keyof typeof THREADS;

export interface CommentRow {
  id: string;
  parent_id: string;
  author_type: "user" | "agent";
  author_id: string;
  author_name: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

const columns = (thread: Thread) =>
  `id::VARCHAR AS id, ${THREADS[thread].parent}::VARCHAR AS parent_id, author_type, author_id::VARCHAR AS author_id,
   author_name, body, created_at, updated_at`;

export async function commentsOf(tx: Tx, thread: Thread, parentId: string): Promise<CommentRow[]> {
  const { table, parent } = THREADS[thread];
  return tx.all(
    `SELECT ${columns(thread)} FROM ${table} WHERE ${parent} = ?::UUID AND deleted_at IS NULL ORDER BY created_at, id`,
    [parentId],
  );
}

export async function insertComment(tx: Tx, thread: Thread, c: CommentRow): Promise<void> {
  const { table, parent } = THREADS[thread];
  await tx.run(
    `INSERT INTO ${table} (id, ${parent}, author_type, author_id, author_name, body, created_at, updated_at)
     VALUES (?::UUID, ?::UUID, ?, ?::UUID, ?, ?, ?, ?)`,
    [c.id, c.parent_id, c.author_type, c.author_id, c.author_name, c.body, c.created_at, c.updated_at],
  );
}

export async function findComment(
  tx: Tx,
  thread: Thread,
  parentId: string,
  id: string,
): Promise<CommentRow | null> {
  const { table, parent } = THREADS[thread];
  const [row] = await tx.all<CommentRow>(
    `SELECT ${columns(thread)} FROM ${table} WHERE ${parent} = ?::UUID AND id = ?::UUID AND deleted_at IS NULL`,
    [parentId, id],
  );
  return row ?? null;
}

export async function updateComment(
  tx: Tx,
  thread: Thread,
  id: string,
  body: string,
  at: Date,
): Promise<void> {
  await tx.run(`UPDATE ${THREADS[thread].table} SET body = ?, updated_at = ? WHERE id = ?::UUID`, [
    body,
    at,
    id,
  ]);
}

export async function softDeleteComment(tx: Tx, thread: Thread, id: string, at: Date): Promise<void> {
  await tx.run(`UPDATE ${THREADS[thread].table} SET deleted_at = ?, updated_at = ? WHERE id = ?::UUID`, [
    at,
    at,
    id,
  ]);
}

/** Moves a thread's comments to another thing of the same kind (an issue merged into another). */
export async function moveComments(tx: Tx, thread: Thread, fromId: string, toId: string): Promise<void> {
  const { table, parent } = THREADS[thread];
  await tx.run(`UPDATE ${table} SET ${parent} = ?::UUID WHERE ${parent} = ?::UUID`, [toId, fromId]);
}

/** An agent key's name, for the comments it writes. */
export async function keyName(tx: Tx, keyId: string): Promise<string | null> {
  const [row] = await tx.all<{ name: string }>("SELECT name FROM api_keys WHERE id = ?::UUID", [keyId]);
  return row?.name ?? null;
}
