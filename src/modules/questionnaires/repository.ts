import type { DeviceFields } from "../../lib/sdk-fields";
import type { Tx } from "../../store/db";
import { Where } from "../../store/where";

export interface QuestionnaireRow {
  id: string;
  project_id: string;
  app_id: string | null;
  slug: string;
  name: string;
  description: string | null;
  schema: string;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
  response_count: number;
  submitted_count: number;
  last_response_at: Date | null;
  us: string;
}

const SELECT = `SELECT q.id::VARCHAR AS id, q.project_id::VARCHAR AS project_id, q.app_id::VARCHAR AS app_id, q.slug,
  q.name, q.description, q.schema::VARCHAR AS schema, q.is_active, q.created_at, q.updated_at,
  epoch_us(q.created_at)::VARCHAR AS us,
  (SELECT count(*) FROM questionnaire_responses r WHERE r.questionnaire_id = q.id AND r.deleted_at IS NULL)::INTEGER AS response_count,
  (SELECT count(*) FROM questionnaire_responses r WHERE r.questionnaire_id = q.id AND r.deleted_at IS NULL
     AND r.submitted_at IS NOT NULL)::INTEGER AS submitted_count,
  (SELECT max(created_at) FROM questionnaire_responses r WHERE r.questionnaire_id = q.id AND r.deleted_at IS NULL) AS last_response_at
  FROM questionnaires q WHERE q.deleted_at IS NULL`;

export async function listQuestionnaires(
  tx: Tx,
  projectId: string,
  f: { appId?: string; isActive?: boolean; cursor?: { us: string; id: string }; limit: number },
): Promise<QuestionnaireRow[]> {
  const where = new Where("q.project_id = ?::UUID", projectId)
    .when(f.appId, "q.app_id = ?::UUID")
    .when(f.isActive, "q.is_active = ?")
    .before(f.cursor, "q");
  return tx.all(
    `${SELECT} AND ${where.sql} ORDER BY q.created_at DESC, q.id DESC LIMIT ${f.limit + 1}`,
    where.params,
  );
}

export async function findQuestionnaire(
  tx: Tx,
  projectId: string,
  id: string,
): Promise<QuestionnaireRow | null> {
  const [row] = await tx.all<QuestionnaireRow>(`${SELECT} AND q.project_id = ?::UUID AND q.id = ?::UUID`, [
    projectId,
    id,
  ]);
  return row ?? null;
}

export async function findBySlug(tx: Tx, projectId: string, slug: string): Promise<QuestionnaireRow | null> {
  const [row] = await tx.all<QuestionnaireRow>(`${SELECT} AND q.project_id = ?::UUID AND q.slug = ?`, [
    projectId,
    slug,
  ]);
  return row ?? null;
}

export interface QuestionnaireValues {
  name: string;
  description: string | null;
  schema: string;
  appId: string | null;
  isActive: boolean;
}

export async function insertQuestionnaire(
  tx: Tx,
  id: string,
  projectId: string,
  slug: string,
  v: QuestionnaireValues,
  at: Date,
): Promise<void> {
  await tx.run(
    `INSERT INTO questionnaires (id, project_id, app_id, slug, name, description, schema, is_active, created_at, updated_at)
     VALUES (?::UUID, ?::UUID, ?::UUID, ?, ?, ?, ?::JSON, ?, ?, ?)`,
    [id, projectId, v.appId, slug, v.name, v.description, v.schema, v.isActive, at, at],
  );
}

export async function updateQuestionnaire(
  tx: Tx,
  id: string,
  v: QuestionnaireValues,
  at: Date,
): Promise<void> {
  await tx.run(
    `UPDATE questionnaires SET app_id = ?::UUID, name = ?, description = ?, schema = ?::JSON, is_active = ?, updated_at = ?
     WHERE id = ?::UUID`,
    [v.appId, v.name, v.description, v.schema, v.isActive, at, id],
  );
}

export async function softDeleteQuestionnaire(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.run(
    "UPDATE questionnaires SET deleted_at = ?, is_active = false, updated_at = ? WHERE id = ?::UUID",
    [at, at, id],
  );
}

export interface ResponseRow {
  id: string;
  questionnaire_id: string;
  slug: string;
  app_id: string;
  project_id: string;
  session_id: string | null;
  user_id: string | null;
  answers: string;
  schema_snapshot: string | null;
  submitted_at: Date | null;
  status: string;
  is_dev: boolean;
  environment: string | null;
  os_version: string | null;
  app_version: string | null;
  sdk_name: string | null;
  sdk_version: string | null;
  device_model: string | null;
  country_code: string | null;
  created_at: Date;
  updated_at: Date;
  app_name: string | null;
  user_properties: string | null;
  us: string;
}

const RESPONSE = `SELECT r.id::VARCHAR AS id, r.questionnaire_id::VARCHAR AS questionnaire_id, r.slug,
  r.app_id::VARCHAR AS app_id, r.project_id::VARCHAR AS project_id, r.session_id, r.user_id, r.answers::VARCHAR AS answers,
  r.schema_snapshot::VARCHAR AS schema_snapshot, r.submitted_at, r.status, r.is_dev, r.environment, r.os_version,
  r.app_version, r.sdk_name, r.sdk_version, r.device_model, r.country_code, r.created_at, r.updated_at,
  a.name AS app_name, u.properties::VARCHAR AS user_properties, epoch_us(r.created_at)::VARCHAR AS us
  FROM questionnaire_responses r LEFT JOIN apps a ON a.id = r.app_id
  LEFT JOIN app_users u ON u.project_id = r.project_id AND u.user_id = r.user_id
  WHERE r.deleted_at IS NULL`;

/** A user's live response to a slug in a project. */
export async function responseOf(
  tx: Tx,
  projectId: string,
  slug: string,
  userId: string,
): Promise<ResponseRow | null> {
  const [row] = await tx.all<ResponseRow>(
    `${RESPONSE} AND r.project_id = ?::UUID AND r.slug = ? AND r.user_id = ?`,
    [projectId, slug, userId],
  );
  return row ?? null;
}

export async function listResponses(
  tx: Tx,
  questionnaireId: string,
  f: {
    status?: string;
    appId?: string;
    isDev: boolean | null;
    submittedOnly: boolean;
    cursor?: { us: string; id: string };
    limit: number;
  },
): Promise<ResponseRow[]> {
  const where = new Where("r.questionnaire_id = ?::UUID", questionnaireId)
    .when(f.status, "r.status = ?")
    .when(f.appId, "r.app_id = ?::UUID")
    .when(f.isDev, "r.is_dev = ?")
    .before(f.cursor, "r");
  if (f.submittedOnly) where.add("r.submitted_at IS NOT NULL");
  return tx.all(
    `${RESPONSE} AND ${where.sql} ORDER BY r.created_at DESC, r.id DESC LIMIT ${f.limit + 1}`,
    where.params,
  );
}

export interface ResponseValues extends DeviceFields {
  sessionId: string | null;
  answers: string;
  schemaSnapshot: string | null;
  submittedAt: Date | null;
}

export async function insertResponse(
  tx: Tx,
  r: ResponseValues & {
    id: string;
    questionnaireId: string;
    slug: string;
    appId: string;
    projectId: string;
    userId: string | null;
    at: Date;
  },
): Promise<void> {
  await tx.run(
    `INSERT INTO questionnaire_responses (id, questionnaire_id, slug, app_id, project_id, session_id, user_id, answers,
       schema_snapshot, submitted_at, status, is_dev, environment, os_version, app_version, sdk_name, sdk_version,
       device_model, country_code, created_at, updated_at)
     VALUES (?::UUID, ?::UUID, ?, ?::UUID, ?::UUID, ?, ?, ?::JSON, ?::JSON, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      r.id,
      r.questionnaireId,
      r.slug,
      r.appId,
      r.projectId,
      r.sessionId,
      r.userId,
      r.answers,
      r.schemaSnapshot,
      r.submittedAt,
      r.submittedAt ? "new" : "draft",
      r.isDev,
      r.environment,
      r.osVersion,
      r.appVersion,
      r.sdkName,
      r.sdkVersion,
      r.deviceModel,
      r.countryCode,
      r.at,
      r.at,
    ],
  );
}

/** A draft saved again or submitted: its answers and what the SDK said of the device. */
export async function updateDraft(tx: Tx, id: string, r: ResponseValues, at: Date): Promise<void> {
  await tx.run(
    `UPDATE questionnaire_responses SET answers = ?::JSON, schema_snapshot = ?::JSON, submitted_at = ?,
       status = CASE WHEN ?::TIMESTAMPTZ IS NULL THEN status ELSE 'new' END,
       session_id = coalesce(?, session_id), is_dev = ?, environment = ?, os_version = ?, app_version = ?, sdk_name = ?,
       sdk_version = ?, device_model = ?, country_code = ?, updated_at = ?
     WHERE id = ?::UUID`,
    [
      r.answers,
      r.schemaSnapshot,
      r.submittedAt,
      r.submittedAt,
      r.sessionId,
      r.isDev,
      r.environment,
      r.osVersion,
      r.appVersion,
      r.sdkName,
      r.sdkVersion,
      r.deviceModel,
      r.countryCode,
      at,
      id,
    ],
  );
}

export async function findResponse(tx: Tx, questionnaireId: string, id: string): Promise<ResponseRow | null> {
  const [row] = await tx.all<ResponseRow>(`${RESPONSE} AND r.questionnaire_id = ?::UUID AND r.id = ?::UUID`, [
    questionnaireId,
    id,
  ]);
  return row ?? null;
}

export async function setResponseStatus(tx: Tx, id: string, status: string, at: Date): Promise<void> {
  await tx.run("UPDATE questionnaire_responses SET status = ?, updated_at = ? WHERE id = ?::UUID", [
    status,
    at,
    id,
  ]);
}

/** Soft-deleted: the user may answer again. */
export async function softDeleteResponse(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.run("UPDATE questionnaire_responses SET deleted_at = ?, updated_at = ? WHERE id = ?::UUID", [
    at,
    at,
    id,
  ]);
}

/** Live responses of live questionnaires in some projects, production only (Owlmetry's count). */
export async function countResponses(tx: Tx, projectIds: readonly string[]): Promise<number> {
  const [row] = await tx.all<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM questionnaire_responses r JOIN questionnaires q ON q.id = r.questionnaire_id
     WHERE r.deleted_at IS NULL AND q.deleted_at IS NULL AND NOT r.is_dev AND list_contains(?::JSON::UUID[], r.project_id)`,
    [projectIds],
  );
  return row?.n ?? 0;
}

/** The live questionnaires of some projects, with their counts, newest first. */
export async function questionnairesOf(
  tx: Tx,
  projectIds: readonly string[],
  f: { appId?: string; isActive?: boolean; limit: number },
): Promise<QuestionnaireRow[]> {
  const where = new Where("list_contains(?::JSON::UUID[], q.project_id)", projectIds)
    .when(f.appId, "q.app_id = ?::UUID")
    .when(f.isActive, "q.is_active = ?");
  return tx.all(
    `${SELECT} AND ${where.sql} ORDER BY q.created_at DESC, q.id DESC LIMIT ${f.limit}`,
    where.params,
  );
}
