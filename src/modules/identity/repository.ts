import { appUserId } from "../../lib/ids";
import { foldUserStats } from "../../store/app-users";
import type { Database, Store, Tx } from "../../store/db";
import { eventsSource } from "../../store/events-source";
import type { ClaimEvents } from "./claim-events";
import type { Claim } from "./claims";

export async function loadClaims(store: Pick<Database, "read">): Promise<Claim[]> {
  return store.read<Claim>(
    `SELECT project_id::VARCHAR AS "projectId", anonymous_id AS "anonymousId", user_id AS "userId"
     FROM identity_claims ORDER BY claimed_at`,
  );
}

/** The project's events under an id, hot and sealed (the files whose summaries may hold it). */
export async function countUserEvents(tx: Tx, dataDir: string, projectId: string, userId: string) {
  const source = await eventsSource(tx, dataDir, {
    projectIds: [projectId],
    key: { kind: "u", values: [userId] },
  });
  const [row] = await tx.all<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM (${source.sql}) AS e WHERE user_id = ?`,
    [...source.params, userId],
  );
  return row?.n ?? 0;
}

/**
 * Records a claim and applies it where that is cheap: the hot rows, feedback and questionnaire
 * responses take the user's id, and the
 * anonymous user's row (what the seal counted, its properties) folds into the user's. Sealed rows
 * keep the anonymous id until compaction rewrites them; readers resolve them meanwhile.
 */
export async function recordClaim(tx: Tx, claim: Claim, appId: string, at: Date): Promise<void> {
  const { projectId, anonymousId, userId } = claim;
  await insertClaim(tx, claim, appId, at);
  await tx.run("UPDATE events SET user_id = ? WHERE project_id = ?::UUID AND user_id = ?", [
    userId,
    projectId,
    anonymousId,
  ]);
  await claimFeedbackAndResponses(tx, claim, at);
  await claimIssueUsers(tx, claim);
  await foldUser(
    tx,
    claim,
    at,
    "CASE WHEN n.properties IS NULL THEN o.properties ELSE json_merge_patch(n.properties, coalesce(o.properties, '{}'::JSON)) END",
  );
}

/**
 * Folds the anonymous user's row into the user's (counts and times by foldUserStats, properties by
 * `mergeProperties`, the engine's JSON merge over `o`, the user's row, and `n`, the anonymous
 * one's), and moves the anonymous user's apps to the user.
 */
export async function foldUser(tx: Tx, claim: Claim, at: Date, mergeProperties: string): Promise<void> {
  const { projectId, anonymousId, userId } = claim;
  await foldAppUser(tx, claim, at, `${foldUserStats("o", "n")}, properties = ${mergeProperties}`);
  await tx.run(
    `INSERT INTO app_user_apps
     SELECT project_id, ?::VARCHAR, app_id, first_seen_at, last_seen_at, event_count FROM app_user_apps
     WHERE project_id = ?::UUID AND user_id = ?
     ON CONFLICT (project_id, user_id, app_id) DO UPDATE SET
       first_seen_at = least(app_user_apps.first_seen_at, excluded.first_seen_at),
       last_seen_at = greatest(app_user_apps.last_seen_at, excluded.last_seen_at),
       event_count = app_user_apps.event_count + excluded.event_count`,
    [userId, projectId, anonymousId],
  );
  await tx.run("DELETE FROM app_user_apps WHERE project_id = ?::UUID AND user_id = ?", [
    projectId,
    anonymousId,
  ]);
}

export async function insertClaim(tx: Tx, claim: Claim, appId: string, at: Date): Promise<void> {
  await tx.run(
    "INSERT INTO identity_claims (project_id, anonymous_id, user_id, app_id, claimed_at) VALUES (?::UUID, ?, ?, ?::UUID, ?)",
    [claim.projectId, claim.anonymousId, claim.userId, appId, at],
  );
}

/** The anonymous id's feedback and questionnaire responses become the user's. */
export async function claimFeedbackAndResponses(tx: Tx, claim: Claim, at: Date): Promise<void> {
  const { projectId, anonymousId, userId } = claim;
  await tx.run("UPDATE feedback SET user_id = ? WHERE project_id = ?::UUID AND user_id = ?", [
    userId,
    projectId,
    anonymousId,
  ]);
  // One response per (slug, user): where the user already answered, theirs wins (Owlmetry's rule).
  await tx.run(
    `UPDATE questionnaire_responses SET user_id = ? WHERE project_id = ?::UUID AND user_id = ? AND deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM questionnaire_responses r WHERE r.project_id = ?::UUID AND r.user_id = ?
         AND r.slug = questionnaire_responses.slug AND r.deleted_at IS NULL)`,
    [userId, projectId, anonymousId, projectId, userId],
  );
  await tx.run(
    "UPDATE questionnaire_responses SET deleted_at = ? WHERE project_id = ?::UUID AND user_id = ? AND deleted_at IS NULL",
    [at, projectId, anonymousId],
  );
}

/**
 * The anonymous user's row folds into the user's (`fold`: the SET list over the user's row `o`
 * and the anonymous one's `n`, the user's own properties winning), or becomes it; a user with
 * neither gets a row.
 */
export async function foldAppUser(tx: Tx, claim: Claim, at: Date, fold: string): Promise<void> {
  const { projectId, anonymousId, userId } = claim;
  const present = new Set(
    (
      await tx.all<{ user_id: string }>(
        "SELECT user_id FROM app_users WHERE project_id = ?::UUID AND user_id IN (?, ?)",
        [projectId, anonymousId, userId],
      )
    ).map((r) => r.user_id),
  );
  if (present.has(anonymousId) && present.has(userId)) {
    await tx.run(
      `UPDATE app_users AS o SET ${fold}
       FROM (SELECT * FROM app_users WHERE project_id = ?::UUID AND user_id = ?) AS n
       WHERE o.project_id = ?::UUID AND o.user_id = ?`,
      [projectId, anonymousId, projectId, userId],
    );
    await tx.run("DELETE FROM app_users WHERE project_id = ?::UUID AND user_id = ?", [
      projectId,
      anonymousId,
    ]);
  } else if (present.has(anonymousId)) {
    await tx.run(
      "UPDATE app_users SET user_id = ?, id = ?::UUID WHERE project_id = ?::UUID AND user_id = ?",
      [userId, appUserId(projectId, userId), projectId, anonymousId],
    );
  } else if (!present.has(userId)) {
    await insertUser(tx, projectId, userId, null, at);
  }
}

/** A user row before any of their events is sealed: seen now, nothing counted yet. */
async function insertUser(tx: Tx, projectId: string, userId: string, properties: string | null, at: Date) {
  await tx.run(
    `INSERT INTO app_users (id, project_id, user_id, properties, first_seen_at, last_seen_at, event_count, is_dev)
     VALUES (?::UUID, ?::UUID, ?, ?::JSON, ?, ?, 0, false)`,
    [appUserId(projectId, userId), projectId, userId, properties, at, at],
  );
}

/** A user's properties (null: no row, or none set). */
export async function userProperties(
  tx: Tx,
  projectId: string,
  userId: string,
): Promise<{ exists: boolean; properties: Record<string, string> | null }> {
  const [row] = await tx.all<{ properties: string | null }>(
    "SELECT properties::VARCHAR AS properties FROM app_users WHERE project_id = ?::UUID AND user_id = ?",
    [projectId, userId],
  );
  if (!row) return { exists: false, properties: null };
  return {
    exists: true,
    properties: row.properties ? (JSON.parse(row.properties) as Record<string, string>) : null,
  };
}

/** Writes a user's whole property map, creating the user when new. */
export async function saveProperties(
  tx: Tx,
  projectId: string,
  userId: string,
  properties: Record<string, string>,
  exists: boolean,
  at: Date,
): Promise<void> {
  const json = JSON.stringify(properties);
  if (!exists) return insertUser(tx, projectId, userId, json, at);
  await tx.run("UPDATE app_users SET properties = ?::JSON WHERE project_id = ?::UUID AND user_id = ?", [
    json,
    projectId,
    userId,
  ]);
}

/**
 * Issues count the claiming user, not the anonymous id (decision 011): their distinct users and
 * occurrences take the user's id, a user counted twice once. (Errors still waiting for their
 * round are resolved through the claims when grouped.)
 */
async function claimIssueUsers(tx: Tx, { projectId, anonymousId, userId }: Claim): Promise<void> {
  const inProject = "issue_id IN (SELECT id FROM issues WHERE project_id = ?::UUID)";
  const moved = await tx.all<{ issue_id: string }>(
    `DELETE FROM issue_users WHERE user_id = ? AND ${inProject} RETURNING issue_id::VARCHAR AS issue_id`,
    [anonymousId, projectId],
  );
  if (moved.length > 0) {
    const ids = moved.map((r) => r.issue_id);
    const added = await tx.all<{ issue_id: string }>(
      `INSERT INTO issue_users SELECT unnest(?::JSON::UUID[]), ? ON CONFLICT DO NOTHING RETURNING issue_id::VARCHAR AS issue_id`,
      [ids, userId],
    );
    const kept = new Set(added.map((r) => r.issue_id));
    const lost = ids.filter((id) => !kept.has(id));
    if (lost.length > 0) {
      await tx.run(
        "UPDATE issues SET user_count = user_count - 1 WHERE id IN (SELECT unnest(?::JSON::UUID[]))",
        [lost],
      );
    }
  }
  await tx.run(`UPDATE issue_occurrences SET user_id = ? WHERE user_id = ? AND ${inProject}`, [
    userId,
    anonymousId,
    projectId,
  ]);
}

/** The embedded store's side of a claim: its events hot and sealed, its hot rows rewritten. */
export const embeddedClaimEvents = (store: Store): ClaimEvents => ({
  count: (tx, projectId, userId) => countUserEvents(tx, store.dataDir, projectId, userId),
  record: recordClaim,
});
