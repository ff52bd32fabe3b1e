import type { DeviceFields } from "../../lib/sdk-fields";
import type { Tx } from "../../store/db";
import { Where } from "../../store/where";
import type { FeedbackStatus } from "./model";

export interface FeedbackValues extends DeviceFields {
  id: string;
  appId: string;
  projectId: string;
  sessionId: string | null;
  userId: string | null;
  message: string;
  submitterName: string | null;
  submitterEmail: string | null;
  screenName: string | null;
  clientEventId: string | null;
  createdAt: Date;
  /** new unless given (the demo's feedback comes triaged). */
  status?: FeedbackStatus;
}

export interface FeedbackRow {
  id: string;
  app_id: string;
  project_id: string;
  session_id: string | null;
  user_id: string | null;
  message: string;
  submitter_name: string | null;
  submitter_email: string | null;
  status: FeedbackStatus;
  is_dev: boolean;
  environment: string | null;
  os_version: string | null;
  app_version: string | null;
  sdk_name: string | null;
  sdk_version: string | null;
  device_model: string | null;
  country_code: string | null;
  screen_name: string | null;
  client_event_id: string | null;
  created_at: Date;
  updated_at: Date;
  app_name: string | null;
  project_name: string;
  team_id: string;
  user_properties: string | null;
  /** created_at in epoch microseconds, for the cursor. */
  us: string;
}

export async function insertFeedback(tx: Tx, f: FeedbackValues): Promise<void> {
  await tx.run(
    `INSERT INTO feedback (id, app_id, project_id, session_id, user_id, message, submitter_name, submitter_email,
       status, is_dev, environment, os_version, app_version, sdk_name, sdk_version, device_model, country_code,
       screen_name, client_event_id, created_at, updated_at)
     VALUES (?::UUID, ?::UUID, ?::UUID, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      f.id,
      f.appId,
      f.projectId,
      f.sessionId,
      f.userId,
      f.message,
      f.submitterName,
      f.submitterEmail,
      f.status ?? "new",
      f.isDev,
      f.environment,
      f.osVersion,
      f.appVersion,
      f.sdkName,
      f.sdkVersion,
      f.deviceModel,
      f.countryCode,
      f.screenName,
      f.clientEventId,
      f.createdAt,
      f.createdAt,
    ],
  );
}

/** Live feedback with its app's and project's names and its user's properties. */
const SELECT = `SELECT f.id::VARCHAR AS id, f.app_id::VARCHAR AS app_id, f.project_id::VARCHAR AS project_id, f.session_id,
  f.user_id, f.message, f.submitter_name, f.submitter_email, f.status, f.is_dev, f.environment, f.os_version,
  f.app_version, f.sdk_name, f.sdk_version, f.device_model, f.country_code, f.screen_name, f.client_event_id,
  f.created_at, f.updated_at, a.name AS app_name, p.name AS project_name, p.team_id::VARCHAR AS team_id,
  u.properties::VARCHAR AS user_properties, epoch_us(f.created_at)::VARCHAR AS us
  FROM feedback f JOIN projects p ON p.id = f.project_id
  LEFT JOIN apps a ON a.id = f.app_id
  LEFT JOIN app_users u ON u.project_id = f.project_id AND u.user_id = f.user_id
  WHERE f.deleted_at IS NULL AND p.deleted_at IS NULL`;

export interface FeedbackFilters {
  projectIds: readonly string[];
  appId?: string;
  status?: FeedbackStatus;
  isDev: boolean | null;
  /** After this row in the order (created_at, id) descending. */
  cursor?: { us: string; id: string };
  limit: number;
}

/** A page, newest first, plus one more row when there is a next page. */
export async function listFeedback(tx: Tx, f: FeedbackFilters): Promise<FeedbackRow[]> {
  const where = new Where("list_contains(?::JSON::UUID[], f.project_id)", f.projectIds)
    .when(f.appId, "f.app_id = ?::UUID")
    .when(f.status, "f.status = ?")
    .when(f.isDev, "f.is_dev = ?")
    .before(f.cursor, "f");
  return tx.all(
    `${SELECT} AND ${where.sql} ORDER BY f.created_at DESC, f.id DESC LIMIT ${f.limit + 1}`,
    where.params,
  );
}

export async function countFeedback(
  tx: Tx,
  projectIds: readonly string[],
  status: FeedbackStatus | undefined,
  since: Date | undefined,
): Promise<number> {
  const [row] = await tx.all<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM feedback f JOIN projects p ON p.id = f.project_id
     WHERE f.deleted_at IS NULL AND p.deleted_at IS NULL AND list_contains(?::JSON::UUID[], f.project_id)
       AND (?::VARCHAR IS NULL OR f.status = ?) AND (?::TIMESTAMPTZ IS NULL OR f.created_at >= ?)`,
    [projectIds, status ?? null, status ?? null, since ?? null, since ?? null],
  );
  return row?.n ?? 0;
}

export async function findFeedback(tx: Tx, projectId: string, id: string): Promise<FeedbackRow | null> {
  const [row] = await tx.all<FeedbackRow>(`${SELECT} AND f.project_id = ?::UUID AND f.id = ?::UUID`, [
    projectId,
    id,
  ]);
  return row ?? null;
}

/** Sets a live item's status; false when there is none. */
export async function updateStatus(
  tx: Tx,
  projectId: string,
  id: string,
  status: FeedbackStatus,
  at: Date,
): Promise<boolean> {
  const rows = await tx.all(
    `UPDATE feedback SET status = ?, updated_at = ?
     WHERE project_id = ?::UUID AND id = ?::UUID AND deleted_at IS NULL RETURNING id`,
    [status, at, projectId, id],
  );
  return rows.length > 0;
}

export async function softDeleteFeedback(tx: Tx, projectId: string, id: string, at: Date): Promise<boolean> {
  const rows = await tx.all(
    `UPDATE feedback SET deleted_at = ?, updated_at = ?
     WHERE project_id = ?::UUID AND id = ?::UUID AND deleted_at IS NULL RETURNING id`,
    [at, at, projectId, id],
  );
  return rows.length > 0;
}
