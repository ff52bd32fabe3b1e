import { USER_STATS } from "../../store/app-users";
import type { Param, Tx } from "../../store/db";
import { Where } from "../../store/where";
import { ANONYMOUS_ID_PREFIX } from "../identity/claims";
import type { BillingTier, UserQuery } from "./params";

/** A user as the queries return it: what the seal counted plus the hot rows, and their properties. */
export interface UserRow {
  id: string;
  project_id: string;
  user_id: string;
  properties: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
  event_count: number;
  is_dev: boolean;
  last_app_version: string | null;
  last_sdk_name: string | null;
  last_sdk_version: string | null;
  last_locale: string | null;
  last_country_code: string | null;
  /** The sort column in epoch microseconds, for the cursor. */
  sort_us: string;
}

export interface UserAppRow {
  project_id: string;
  user_id: string;
  app_id: string;
  app_name: string;
  platform: string;
  first_seen_at: Date;
  last_seen_at: Date;
  event_count: number;
}

const LAST = ["last_app_version", "last_sdk_name", "last_sdk_version", "last_locale", "last_country_code"];

/**
 * The users of some projects as one relation: the stored rows (what seals counted, properties)
 * joined with what the hot rows say (not sealed yet), each figure combined. A cluster has no hot
 * rows: each round counts its events into the stored rows (decision 017).
 */
function usersOf(
  projectIds: readonly string[],
  hot: boolean,
  userId?: string,
): { sql: string; params: Param[] } {
  // One user: asked for on both sides of the join, so neither side aggregates everyone.
  const one = userId === undefined ? "" : " AND user_id = ?";
  const mine = userId === undefined ? [] : [userId];
  if (!hot) {
    return {
      sql: `(SELECT id AS stored_id, project_id, user_id, properties::VARCHAR AS properties, first_seen_at, last_seen_at,
          event_count, is_dev, ${LAST.join(", ")}
        FROM app_users WHERE list_contains(?::JSON::UUID[], project_id)${one})`,
      params: [projectIds, ...mine],
    };
  }
  const newer = "(h.user_id IS NOT NULL AND (s.user_id IS NULL OR h.last_seen_at >= s.last_seen_at))";
  return {
    sql: `(SELECT s.id AS stored_id, coalesce(s.project_id, h.project_id) AS project_id,
        coalesce(s.user_id, h.user_id) AS user_id, s.properties::VARCHAR AS properties,
        least(s.first_seen_at, h.first_seen_at) AS first_seen_at, greatest(s.last_seen_at, h.last_seen_at) AS last_seen_at,
        coalesce(s.event_count, 0) + coalesce(h.event_count, 0) AS event_count,
        CASE WHEN ${newer} THEN h.is_dev ELSE s.is_dev END AS is_dev,
        ${LAST.map((c) => `CASE WHEN ${newer} THEN coalesce(h.${c}, s.${c}) ELSE coalesce(s.${c}, h.${c}) END AS ${c}`).join(",\n        ")}
      FROM (SELECT * FROM app_users WHERE list_contains(?::JSON::UUID[], project_id)${one}) AS s
      FULL JOIN (
        SELECT project_id, user_id, ${USER_STATS} FROM events
        WHERE list_contains(?::JSON::UUID[], project_id) AND user_id IS NOT NULL${one} GROUP BY project_id, user_id
      ) AS h ON h.project_id = s.project_id AND h.user_id = s.user_id)`,
    params: [projectIds, ...mine, projectIds, ...mine],
  };
}

const BILLING: Record<BillingTier, string> = {
  trial: "properties::JSON->>'rc_period_type' = 'trial'",
  paid: "properties::JSON->>'rc_subscriber' = 'true' AND (properties::JSON->>'rc_period_type') IS DISTINCT FROM 'trial'",
  free: "(properties::JSON->>'rc_subscriber') IS DISTINCT FROM 'true' AND (properties::JSON->>'rc_period_type') IS DISTINCT FROM 'trial'",
};

const SORT_COLUMNS = { last_seen: "last_seen_at", first_seen: "first_seen_at" } as const;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A page of users, newest (by the sort column) first, plus one more when there is a next page. */
export async function listUsers(
  tx: Tx,
  projectIds: readonly string[],
  q: UserQuery,
  hot: boolean,
): Promise<UserRow[]> {
  const users = usersOf(projectIds, hot, q.userId);
  const where = new Where()
    .when(q.search === undefined ? undefined : `%${escapeLike(q.search)}%`, "user_id ILIKE ? ESCAPE '\\'")
    .when(q.isDev, "is_dev = ?")
    .when(q.since, "last_seen_at >= ?::TIMESTAMPTZ")
    .when(q.until, "last_seen_at <= ?::TIMESTAMPTZ");
  if (q.appId && hot) {
    where.add(
      `user_id IN (SELECT user_id FROM app_user_apps WHERE app_id = ?::UUID
        UNION SELECT user_id FROM events WHERE app_id = ?::UUID AND user_id IS NOT NULL)`,
      q.appId,
      q.appId,
    );
  } else if (q.appId) {
    where.add("user_id IN (SELECT user_id FROM app_user_apps WHERE app_id = ?::UUID)", q.appId);
  }
  if (q.isAnonymous !== undefined)
    where.add("starts_with(user_id, ?) = ?", ANONYMOUS_ID_PREFIX, q.isAnonymous);
  if (q.billing) where.add(`(${q.billing.map((b) => `(${BILLING[b]})`).join(" OR ")})`);
  const column = SORT_COLUMNS[q.sort];
  if (q.cursor) {
    where.add(
      `(epoch_us(${column}), project_id::VARCHAR, user_id) < (?::BIGINT, ?, ?)`,
      q.cursor.us,
      q.cursor.projectId,
      q.cursor.userId,
    );
  }
  return tx.all<UserRow>(
    withIds(
      `SELECT ${columnsOf(hot)}, epoch_us(${column})::VARCHAR AS sort_us FROM ${users.sql} AS u WHERE ${where.sql}
     ORDER BY ${column} DESC, project_id::VARCHAR DESC, user_id DESC LIMIT ${q.limit + 1}`,
      hot,
    ),
    [...users.params, ...where.params],
  );
}

const COLUMNS = `stored_id, project_id::VARCHAR AS project_id, user_id, properties, first_seen_at, last_seen_at,
  event_count::BIGINT AS event_count, is_dev, ${LAST.join(", ")}`;

/** The columns a page reads. Without unsealed rows (a cluster) every row is stored and has its id. */
const columnsOf = (hot: boolean) => (hot ? COLUMNS : `stored_id::VARCHAR AS id, ${COLUMNS}`);

/**
 * The rows of `sql` (COLUMNS and more) with their ids: the stored one, or the one a user not
 * sealed yet will get (lib/ids appUserId). Computed on the page's rows only, after its LIMIT: an
 * md5 a row over every user of a team cost most of a page (138 → … ms at 168k users). A cluster's
 * rows carry their stored ids already (`columnsOf`).
 */
const withIds = (sql: string, hot: boolean) =>
  !hot
    ? sql
    : `SELECT * EXCLUDE (stored_id, h), coalesce(stored_id::VARCHAR, substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' ||
     substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12)) AS id
   FROM (SELECT *, md5(project_id || ':' || user_id) AS h FROM (${sql}))`;

/** One user by (project, user id). */
export async function findUser(
  tx: Tx,
  projectId: string,
  userId: string,
  hot: boolean,
): Promise<UserRow | null> {
  const users = usersOf([projectId], hot, userId);
  const [row] = await tx.all<UserRow>(
    withIds(`SELECT ${columnsOf(hot)}, '0' AS sort_us FROM ${users.sql} AS u`, hot),
    [...users.params],
  );
  return row ?? null;
}

/** Which (project, user) a user id names: stored rows first, then the hot rows' users. */
export async function locateUser(
  tx: Tx,
  projectIds: readonly string[],
  id: string,
  hot: boolean,
): Promise<{ project_id: string; user_id: string } | null> {
  const [stored] = await tx.all<{ project_id: string; user_id: string }>(
    `SELECT project_id::VARCHAR AS project_id, user_id FROM app_users
     WHERE id = ?::UUID AND list_contains(?::JSON::UUID[], project_id)`,
    [id, projectIds],
  );
  if (stored || !hot) return stored ?? null;
  const [unsealed] = await tx.all<{ project_id: string; user_id: string }>(
    `SELECT project_id, user_id FROM (${withIds(
      `SELECT DISTINCT NULL::UUID AS stored_id, project_id::VARCHAR AS project_id, user_id FROM events
       WHERE list_contains(?::JSON::UUID[], project_id) AND user_id IS NOT NULL`,
      true,
    )}) WHERE id = ?`,
    [projectIds, id],
  );
  return unsealed ?? null;
}

/** The apps each user was seen in (sealed and hot), for a page of users. */
export async function appsOfUsers(
  tx: Tx,
  users: ReadonlyArray<{ project_id: string; user_id: string }>,
  hot: boolean,
): Promise<UserAppRow[]> {
  if (users.length === 0) return [];
  const mine = pageKeys(users);
  const unsealed = `UNION ALL
       SELECT x.project_id, x.user_id, app_id, min(timestamp), max(timestamp), count(*) FROM events x ${mine.join}
       GROUP BY ALL`;
  return tx.all<UserAppRow>(
    `SELECT u.project_id::VARCHAR AS project_id, u.user_id, u.app_id::VARCHAR AS app_id, a.name AS app_name, a.platform,
       min(u.first_seen_at) AS first_seen_at, max(u.last_seen_at) AS last_seen_at, sum(u.event_count)::BIGINT AS event_count
     FROM (
       SELECT x.project_id, x.user_id, app_id, first_seen_at, last_seen_at, event_count FROM app_user_apps x ${mine.join}
       ${hot ? unsealed : ""}
     ) AS u JOIN apps a ON a.id = u.app_id
     GROUP BY u.project_id, u.user_id, u.app_id, a.name, a.platform`,
    hot ? [...mine.params, ...mine.params] : mine.params,
  );
}

/**
 * A join that keeps the rows of a page's users (alias x): a hash join on a list of 50 pairs,
 * rather than a test of every row against the list (~60 ns a row over every user's rows).
 */
function pageKeys(users: ReadonlyArray<{ project_id: string; user_id: string }>) {
  return {
    join: `JOIN (SELECT unnest(?::JSON::UUID[]) AS project_id, unnest(?::JSON::VARCHAR[]) AS user_id) AS k
      ON k.project_id = x.project_id AND k.user_id = x.user_id`,
    params: [users.map((u) => u.project_id), users.map((u) => u.user_id)] as Param[],
  };
}

/** The anonymous ids each user claimed, for a page of users, oldest claim first. */
export async function claimsOfUsers(
  tx: Tx,
  users: ReadonlyArray<{ project_id: string; user_id: string }>,
): Promise<Array<{ project_id: string; user_id: string; anonymous_ids: string[] }>> {
  if (users.length === 0) return [];
  const mine = pageKeys(users);
  const rows = await tx.all<{ project_id: string; user_id: string; anonymous_id: string }>(
    `SELECT x.project_id::VARCHAR AS project_id, x.user_id, x.anonymous_id
     FROM identity_claims x ${mine.join} ORDER BY x.claimed_at, x.anonymous_id`,
    mine.params,
  );
  const claims = new Map<string, { project_id: string; user_id: string; anonymous_ids: string[] }>();
  for (const r of rows) {
    const key = `${r.project_id}|${r.user_id}`;
    const entry = claims.get(key) ?? { project_id: r.project_id, user_id: r.user_id, anonymous_ids: [] };
    entry.anonymous_ids.push(r.anonymous_id);
    claims.set(key, entry);
  }
  return [...claims.values()];
}
