import { appUserId } from "../../lib/ids";
import { foldUserStats, LAST_COLUMNS } from "../../store/app-users";
import type { Tx } from "../../store/db";
import type { StoredEvent } from "../pipeline/event";
import { mergeTallies, packTallies, type Tallies, tallyEvents, unpackTallies } from "./tally";

/**
 * A cluster's app user counts (decision 017). A round records its events' tallies as one pending
 * row, in the transaction that marks them stored (each event counted once, at the cost of one
 * insert); folding them into app_users and app_user_apps is off the write path: every node tries
 * each second, and a read of users or a claim folds first. A fold holds one lock, reads the
 * pending rows, resolves their users through the claims as they stand then, writes, and deletes
 * what it folded, in one transaction.
 */

/** The lock whoever folds holds to the end of its transaction. */
const FOLD_LOCK = 7_017_021;
/** Pending rows one fold takes (rounds of up to 10,000 events each). */
export const FOLD_BATCH = 50;

export async function recordUserCounts(tx: Tx, events: readonly StoredEvent[]): Promise<void> {
  const tallies = tallyEvents(events);
  if (tallies.users.length === 0) return;
  await tx.run("INSERT INTO app_user_counts_pending (tallies) VALUES (?)", [packTallies(tallies)]);
}

/**
 * Folds pending tallies into the users' rows; how many pending rows it folded. `wait`: for the
 * lock (a read, a claim), or give up at once when another node is folding (the timer).
 */
export async function foldUserCounts(tx: Tx, wait: boolean): Promise<number> {
  if (wait) {
    await tx.run(`SELECT pg_advisory_xact_lock(${FOLD_LOCK})`);
  } else {
    const [got] = await tx.all<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(${FOLD_LOCK}) AS ok`);
    if (!got?.ok) return 0;
  }
  const pending = await tx.all<{ id: string; tallies: string }>(
    `SELECT id::VARCHAR AS id, tallies FROM app_user_counts_pending ORDER BY id LIMIT ${FOLD_BATCH}`,
  );
  if (pending.length === 0) return 0;
  const all = pending.map((p) => unpackTallies(p.tallies));
  const claims = await claimsOf(tx, all);
  const merged = mergeTallies(all, (projectId, userId) => claims.get(`${projectId}|${userId}`) ?? userId);
  await upsertUsers(tx, merged);
  await tx.run("DELETE FROM app_user_counts_pending WHERE id = ANY(?::JSON::BIGINT[])", [
    pending.map((p) => p.id),
  ]);
  return pending.length;
}

/** Folds every pending tally, waiting for the lock: what a read or a claim does first. */
export async function foldAllUserCounts(tx: Tx): Promise<void> {
  while ((await foldUserCounts(tx, true)) === FOLD_BATCH) {}
}

/** The users who claimed the tallies' ids, by `project|id`. */
async function claimsOf(tx: Tx, all: readonly Tallies[]): Promise<Map<string, string>> {
  const pairs = new Map<string, { projectId: string; userId: string }>();
  for (const t of all) for (const u of t.users) pairs.set(`${u.projectId}|${u.userId}`, u);
  const rows = await tx.all<{ project_id: string; anonymous_id: string; user_id: string }>(
    `SELECT c.project_id::VARCHAR AS project_id, c.anonymous_id, c.user_id FROM identity_claims c
     JOIN unnest(?::JSON::UUID[], ?::JSON::VARCHAR[]) AS u(p, a) ON c.project_id = u.p AND c.anonymous_id = u.a`,
    [[...pairs.values()].map((p) => p.projectId), [...pairs.values()].map((p) => p.userId)],
  );
  return new Map(rows.map((r) => [`${r.project_id}|${r.anonymous_id}`, r.user_id]));
}

/**
 * The tallies into app_users and app_user_apps, folded as the embedded seal folds (foldUserStats),
 * rows in key order.
 */
async function upsertUsers(tx: Tx, { users, apps }: Tallies): Promise<void> {
  const key = (r: { projectId: string; userId: string }, more = "") => `${r.projectId}|${r.userId}|${more}`;
  const u = [...users].sort((a, b) => cmp(key(a), key(b)));
  const a = [...apps].sort((x, y) => cmp(key(x, x.appId), key(y, y.appId)));
  await tx.run(
    `INSERT INTO app_users (id, project_id, user_id, properties, first_seen_at, last_seen_at, event_count, is_dev,
       ${LAST_COLUMNS.join(", ")})
     SELECT id, project_id, user_id, NULL, to_timestamp(first_ms / 1000.0), to_timestamp(last_ms / 1000.0), n, dev,
       ${LAST_COLUMNS.join(", ")}
     FROM unnest(?::JSON::UUID[], ?::JSON::UUID[], ?::JSON::VARCHAR[], ?::JSON::BIGINT[], ?::JSON::BIGINT[],
       ?::JSON::BIGINT[], ?::JSON::BOOLEAN[], ${LAST_COLUMNS.map(() => "?::JSON::VARCHAR[]").join(", ")})
       AS u(id, project_id, user_id, first_ms, last_ms, n, dev, ${LAST_COLUMNS.join(", ")})
     ON CONFLICT (project_id, user_id) DO UPDATE SET ${foldUserStats("app_users", "excluded")}`,
    [
      u.map((r) => appUserId(r.projectId, r.userId)),
      u.map((r) => r.projectId),
      u.map((r) => r.userId),
      u.map((r) => r.first),
      u.map((r) => r.last),
      u.map((r) => r.count),
      u.map((r) => r.isDev),
      ...LAST_COLUMNS.map((field) => u.map((r) => r.newest[field]?.[0] ?? null)),
    ],
  );
  await tx.run(
    `INSERT INTO app_user_apps (project_id, user_id, app_id, first_seen_at, last_seen_at, event_count)
     SELECT project_id, user_id, app_id, to_timestamp(first_ms / 1000.0), to_timestamp(last_ms / 1000.0), n
     FROM unnest(?::JSON::UUID[], ?::JSON::VARCHAR[], ?::JSON::UUID[], ?::JSON::BIGINT[], ?::JSON::BIGINT[], ?::JSON::BIGINT[])
       AS u(project_id, user_id, app_id, first_ms, last_ms, n)
     ON CONFLICT (project_id, user_id, app_id) DO UPDATE SET
       first_seen_at = least(app_user_apps.first_seen_at, excluded.first_seen_at),
       last_seen_at = greatest(app_user_apps.last_seen_at, excluded.last_seen_at),
       event_count = app_user_apps.event_count + excluded.event_count`,
    [
      a.map((r) => r.projectId),
      a.map((r) => r.userId),
      a.map((r) => r.appId),
      a.map((r) => r.first),
      a.map((r) => r.last),
      a.map((r) => r.count),
    ],
  );
}

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
