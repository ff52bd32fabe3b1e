import { decodeTimeCursor, encodeTimeCursor } from "../../lib/cursor";
import { ApiError, badRequest, conflict, forbidden, notFound } from "../../lib/errors";
import { isUuid, newId, uuidParam } from "../../lib/ids";
import { deviceFields, sessionIdOf } from "../../lib/sdk-fields";
import { TRIAGE_STATUSES, triageStatus } from "../../lib/vocab";
import type { Database, SharedWriter } from "../../store/db";
import type { Caller, KeyCaller } from "../access/caller";
import type { AppContext, AppContexts } from "../apps/context";
import { findApp } from "../apps/repository";
import { devFilter, pageLimit } from "../events/params";
import type { IdentityService } from "../identity/service";
import { projectFor, projectsInScope } from "../projects/scope";
import {
  countResponses,
  findBySlug,
  findQuestionnaire,
  findResponse,
  insertQuestionnaire,
  insertResponse,
  listQuestionnaires,
  listResponses,
  type QuestionnaireRow,
  type QuestionnaireValues,
  questionnairesOf,
  type ResponseRow,
  responseOf,
  setResponseStatus,
  softDeleteQuestionnaire,
  softDeleteResponse,
  updateDraft,
  updateQuestionnaire,
} from "./repository";
import {
  type Answers,
  checkAnswers,
  checkSchema,
  currentAnswers,
  type QuestionnaireSchema,
  SpecError,
} from "./spec";

/** The user property a global "don't ask again" sets (Owlmetry's). */
const DISMISSED_PROPERTY = "_questionnaires_dismissed_at";
const SLUG = /^[a-z0-9-]{1,64}$/;
/** A response is a draft until submitted, then triaged. */
const RESPONSE_STATUSES = ["draft", ...TRIAGE_STATUSES] as const;

type Query = Record<string, string | undefined>;
type Body = Record<string, unknown>;

const questionnaireNotFound = () => notFound("Questionnaire not found");
const responseNotFound = () => notFound("Response not found");

const spec = <T>(check: () => T): T => {
  try {
    return check();
  } catch (error) {
    if (error instanceof SpecError) throw badRequest(error.message);
    throw error;
  }
};

/** Owlmetry's questionnaires: defined per project, fetched and answered by its SDKs. */
export class QuestionnairesService {
  constructor(
    private readonly store: Database,
    private readonly writer: SharedWriter,
    private readonly contexts: AppContexts,
    private readonly identity: Pick<IdentityService, "mergeProperties" | "propertiesOf" | "resolve">,
  ) {}

  // ---- what the SDKs call ----

  /** The client key's app, with Owlmetry's checks: a client key, and the app's bundle id when it has one. */
  private async app(caller: Caller, bundleId: unknown): Promise<AppContext> {
    if (caller.type !== "key" || caller.kind !== "client") throw forbidden("Client key required");
    if (!caller.appId) throw badRequest("API key must be scoped to an app");
    const ctx = await this.contexts.of(caller as KeyCaller);
    if (ctx.bundleId !== null && bundleId !== ctx.bundleId)
      throw forbidden("bundle_id does not match the app");
    return ctx;
  }

  private async live(ctx: AppContext, slug: string): Promise<QuestionnaireRow> {
    const q = await this.store.snapshot((tx) => findBySlug(tx, ctx.project.id, slug));
    if (!q || (q.app_id !== null && q.app_id !== ctx.appId)) throw questionnaireNotFound();
    return q;
  }

  /** `GET /v1/questionnaires/:slug`: the spec, whether this user may answer, and their draft. */
  async fetch(caller: Caller, slug: string, q: Query) {
    const ctx = await this.app(caller, q.bundle_id);
    const questionnaire = await this.live(ctx, slug);
    if (!questionnaire.is_active) return { eligible: false, reason: "inactive" };
    const force = q.force === "true";
    let inProgress: { response_id: string; answers: Answers } | null = null;
    if (q.user_id) {
      const userId = this.identity.resolve(ctx.project.id, q.user_id);
      if (!force && (await this.dismissed(ctx.project.id, userId))) {
        return { eligible: false, reason: "globally_dismissed" };
      }
      const response = await this.store.snapshot((tx) => responseOf(tx, ctx.project.id, slug, userId));
      if (response?.submitted_at && !force) return { eligible: false, reason: "already_responded" };
      if (response && !response.submitted_at) {
        inProgress = { response_id: response.id, answers: JSON.parse(response.answers) as Answers };
      }
    }
    return {
      eligible: true,
      questionnaire: {
        id: questionnaire.id,
        slug: questionnaire.slug,
        name: questionnaire.name,
        description: questionnaire.description,
        schema: JSON.parse(questionnaire.schema) as QuestionnaireSchema,
      },
      ...(inProgress ? { in_progress: inProgress } : {}),
    };
  }

  private async dismissed(projectId: string, userId: string): Promise<boolean> {
    const value = (await this.identity.propertiesOf(projectId, userId))?.[DISMISSED_PROPERTY];
    return typeof value === "string" && value.length > 0;
  }

  /**
   * `POST /v1/questionnaires/:slug/responses`: a draft saved (answers merged into the stored ones),
   * or, with `is_complete: true`, submitted once and for all. 201 when the response is new.
   */
  async respond(caller: Caller, slug: string, body: Body, countryHeader: string | null, now = new Date()) {
    const ctx = await this.app(caller, body.bundle_id);
    const questionnaire = await this.live(ctx, slug);
    if (!questionnaire.is_active) {
      throw new ApiError(409, "Questionnaire is not accepting responses", { reason: "inactive" });
    }
    const sessionId = sessionIdOf(body.session_id);
    const complete = body.is_complete === true;
    const userId =
      typeof body.user_id === "string" && body.user_id.length > 0
        ? this.identity.resolve(ctx.project.id, body.user_id.slice(0, 255))
        : null;
    if (userId && complete && (await this.dismissed(ctx.project.id, userId))) {
      throw new ApiError(409, "Questionnaires globally dismissed", { reason: "globally_dismissed" });
    }
    const schema = JSON.parse(questionnaire.schema) as QuestionnaireSchema;
    const incoming = spec(() => checkAnswers(schema, body.answers, true));
    const device = deviceFields(body, ctx.platform, countryHeader);
    return this.writer.run(async (tx) => {
      const existing = userId ? await responseOf(tx, ctx.project.id, slug, userId) : null;
      if (existing?.submitted_at) {
        throw new ApiError(409, "Already responded", { reason: "already_responded" });
      }
      let answers: Answers = { ...(existing ? (JSON.parse(existing.answers) as Answers) : {}), ...incoming };
      if (complete) {
        answers = currentAnswers(schema, answers);
        spec(() => checkAnswers(schema, answers, false));
      }
      const values = {
        ...device,
        sessionId,
        answers: JSON.stringify(answers),
        schemaSnapshot: complete ? questionnaire.schema : null,
        submittedAt: complete ? now : null,
      };
      if (existing) {
        return async (tx) => {
          await updateDraft(tx, existing.id, values, now);
          const receipt = {
            id: existing.id,
            created_at: existing.created_at.toISOString(),
            was_submitted: complete,
          };
          return { status: 200, ...receipt };
        };
      }
      const id = newId();
      return async (tx) => {
        await insertResponse(tx, {
          ...values,
          id,
          questionnaireId: questionnaire.id,
          slug,
          appId: ctx.appId,
          projectId: ctx.project.id,
          userId,
          at: now,
        });
        return { status: 201, id, created_at: now.toISOString(), was_submitted: complete };
      };
    });
  }

  /** `POST /v1/questionnaires/dismiss`: this user is never asked again (a user property). */
  async dismiss(caller: Caller, body: Body, now = new Date()) {
    const ctx = await this.app(caller, body.bundle_id);
    if (typeof body.user_id !== "string" || body.user_id.length === 0) {
      throw badRequest("user_id is required to dismiss questionnaires");
    }
    const at = now.toISOString();
    await this.identity.mergeProperties(
      ctx.project.id,
      body.user_id,
      { [DISMISSED_PROPERTY]: at },
      [],
      now,
      false,
    );
    return { dismissed_at: at };
  }

  // ---- what the team calls ----

  private project(
    caller: Caller,
    projectId: string,
    permission: "questionnaires:read" | "questionnaires:write",
  ) {
    return projectFor(this.store, caller, projectId, permission);
  }

  async list(caller: Caller, projectId: string, q: Query) {
    const project = await this.project(caller, projectId, "questionnaires:read");
    const limit = pageLimit(q.limit);
    const appId = q.app_id ? uuidParam("app_id", q.app_id) : undefined;
    const cursor = q.cursor ? decodeTimeCursor(q.cursor) : undefined;
    const isActive = q.is_active === undefined || q.is_active === "" ? undefined : q.is_active === "true";
    const rows = await this.store.snapshot((tx) =>
      listQuestionnaires(tx, project.id, { appId, isActive, cursor, limit }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      questionnaires: page.map((r) => present(r, true)),
      cursor: rows.length > limit && last ? encodeTimeCursor(last.us, last.id) : null,
      has_more: rows.length > limit,
    };
  }

  async get(caller: Caller, projectId: string, id: string) {
    const project = await this.project(caller, projectId, "questionnaires:read");
    const row = isUuid(id) ? await this.store.snapshot((tx) => findQuestionnaire(tx, project.id, id)) : null;
    if (!row) throw questionnaireNotFound();
    return present(row, true);
  }

  async create(caller: Caller, projectId: string, body: Body) {
    const project = await this.project(caller, projectId, "questionnaires:write");
    const slug = typeof body.slug === "string" ? body.slug.trim() : "";
    if (!SLUG.test(slug)) throw badRequest("slug must be 1-64 lowercase letters/digits/hyphens");
    const values = await this.values(project.id, body, null);
    const id = newId();
    const now = new Date();
    await this.writer.run(async (tx) => {
      if (await findBySlug(tx, project.id, slug)) {
        throw conflict(`A questionnaire with slug "${slug}" already exists in this project`);
      }
      return (tx) => insertQuestionnaire(tx, id, project.id, slug, values, now);
    });
    return this.get(caller, project.id, id);
  }

  async update(caller: Caller, projectId: string, id: string, body: Body) {
    const project = await this.project(caller, projectId, "questionnaires:write");
    if ("slug" in body) throw badRequest("slug is immutable after creation");
    const editable = ["name", "description", "schema", "is_active", "app_id"];
    if (!editable.some((k) => k in body)) throw badRequest("no editable fields provided");
    await this.writer.run(async (tx) => {
      const row = isUuid(id) ? await findQuestionnaire(tx, project.id, id) : null;
      if (!row) throw questionnaireNotFound();
      const values = await this.values(project.id, body, row);
      return (tx) => updateQuestionnaire(tx, row.id, values, new Date());
    });
    return this.get(caller, project.id, id);
  }

  async remove(caller: Caller, projectId: string, id: string) {
    if (caller.type === "key") throw forbidden("Only users can delete questionnaires");
    const project = await this.project(caller, projectId, "questionnaires:write");
    await this.writer.run(async (tx) => {
      const row = isUuid(id) ? await findQuestionnaire(tx, project.id, id) : null;
      if (!row) throw questionnaireNotFound();
      return (tx) => softDeleteQuestionnaire(tx, row.id, new Date());
    });
    return { deleted: true as const };
  }

  /** The questionnaire of a project the caller may read or write in, else Owlmetry's 404. */
  private async questionnaire(
    caller: Caller,
    projectId: string,
    id: string,
    permission: "questionnaires:read" | "questionnaires:write",
  ): Promise<QuestionnaireRow> {
    const project = await this.project(caller, projectId, permission);
    const row = isUuid(id) ? await this.store.snapshot((tx) => findQuestionnaire(tx, project.id, id)) : null;
    if (!row) throw questionnaireNotFound();
    return row;
  }

  /** One response, with the questionnaire's name and the user's properties. */
  async response(caller: Caller, projectId: string, id: string, responseId: string) {
    const q = await this.questionnaire(caller, projectId, id, "questionnaires:read");
    const row = isUuid(responseId)
      ? await this.store.snapshot((tx) => findResponse(tx, q.id, responseId))
      : null;
    if (!row) throw responseNotFound();
    return presentResponse(row, q.name);
  }

  /** Triage: new, in_review, addressed or dismissed. */
  async setResponseStatus(caller: Caller, projectId: string, id: string, responseId: string, body: Body) {
    const status = triageStatus(body.status);
    const q = await this.questionnaire(caller, projectId, id, "questionnaires:write");
    return this.writer.run(async (tx) => {
      const row = isUuid(responseId) ? await findResponse(tx, q.id, responseId) : null;
      if (!row) throw responseNotFound();
      return async (tx) => {
        const at = new Date();
        await setResponseStatus(tx, row.id, status, at);
        return presentResponse({ ...row, status, updated_at: at }, q.name);
      };
    });
  }

  /** Signed-in users only (Owlmetry); the user may then answer again. */
  async removeResponse(caller: Caller, projectId: string, id: string, responseId: string) {
    if (caller.type === "key") throw forbidden("Only users can delete responses");
    const q = await this.questionnaire(caller, projectId, id, "questionnaires:write");
    await this.writer.run(async (tx) => {
      const row = isUuid(responseId) ? await findResponse(tx, q.id, responseId) : null;
      if (!row) throw responseNotFound();
      return (tx) => softDeleteResponse(tx, row.id, new Date());
    });
    return { deleted: true as const };
  }

  /** `GET /v1/questionnaires`: the team's questionnaires with their counts (at most 500). */
  async listTeam(caller: Caller, q: Query) {
    const projectIds = await projectsInScope(this.store, caller, "questionnaires:read", q);
    const limit = q.limit === undefined ? 500 : Math.min(500, pageLimit(q.limit));
    const appId = q.app_id ? uuidParam("app_id", q.app_id) : undefined;
    const isActive = q.is_active === undefined || q.is_active === "" ? undefined : q.is_active === "true";
    if (projectIds.length === 0) return { questionnaires: [] };
    const rows = await this.store.snapshot((tx) =>
      questionnairesOf(tx, projectIds, { appId, isActive, limit }),
    );
    return { questionnaires: rows.map((r) => present(r, true)) };
  }

  /** `GET /v1/questionnaires/count`: live production responses of the caller's teams. */
  async count(caller: Caller, q: Query) {
    const projectIds = await projectsInScope(this.store, caller, "questionnaires:read", q);
    if (projectIds.length === 0) return { count: 0 };
    return { count: await this.store.snapshot((tx) => countResponses(tx, projectIds)) };
  }

  async responses(caller: Caller, projectId: string, id: string, q: Query) {
    const row = await this.questionnaire(caller, projectId, id, "questionnaires:read");
    if (q.status && !(RESPONSE_STATUSES as readonly string[]).includes(q.status)) {
      throw badRequest(`status must be one of ${RESPONSE_STATUSES.join(", ")}`);
    }
    const limit = pageLimit(q.limit);
    const filters = {
      status: q.status || undefined,
      appId: q.app_id ? uuidParam("app_id", q.app_id) : undefined,
      isDev: devFilter(q),
      submittedOnly: q.submitted_only === "true",
      cursor: q.cursor ? decodeTimeCursor(q.cursor) : undefined,
      limit,
    };
    const rows = await this.store.snapshot((tx) => listResponses(tx, row.id, filters));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      responses: page.map((r) => presentResponse(r, row.name)),
      cursor: rows.length > limit && last ? encodeTimeCursor(last.us, last.id) : null,
      has_more: rows.length > limit,
    };
  }

  /** A definition's fields from a create (all) or an update (those given, else the stored ones). */
  private async values(
    projectId: string,
    body: Body,
    stored: QuestionnaireRow | null,
  ): Promise<QuestionnaireValues> {
    const name =
      "name" in body || !stored ? (typeof body.name === "string" ? body.name.trim() : "") : stored.name;
    if (name.length === 0 || name.length > 200) throw badRequest("name must be 1-200 chars");
    let description = stored?.description ?? null;
    if ("description" in body) {
      const text = typeof body.description === "string" ? body.description.trim() : "";
      if (text.length > 2000) throw badRequest("description must be at most 2000 chars");
      description = text.length > 0 ? text : null;
    }
    const schema =
      "schema" in body || !stored ? JSON.stringify(spec(() => checkSchema(body.schema))) : stored.schema;
    let appId = stored?.app_id ?? null;
    if ("app_id" in body) {
      appId = body.app_id === null || body.app_id === undefined ? null : String(body.app_id).toLowerCase();
      if (appId !== null && !(await this.appInProject(projectId, appId))) {
        throw badRequest("app_id does not belong to this project");
      }
    }
    const isActive = "is_active" in body ? body.is_active === true : stored ? stored.is_active : true;
    return { name, description, schema, appId, isActive };
  }

  private async appInProject(projectId: string, appId: string): Promise<boolean> {
    return isUuid(appId) && (await findApp(this.store, appId))?.project_id === projectId;
  }
}

function present(r: QuestionnaireRow, counts: boolean) {
  return {
    id: r.id,
    project_id: r.project_id,
    app_id: r.app_id,
    slug: r.slug,
    name: r.name,
    description: r.description,
    schema: JSON.parse(r.schema) as QuestionnaireSchema,
    is_active: r.is_active,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    ...(counts
      ? {
          response_count: r.response_count,
          submitted_count: r.submitted_count,
          last_response_at: r.last_response_at?.toISOString() ?? null,
        }
      : {}),
  };
}

function presentResponse(r: ResponseRow, questionnaireName: string) {
  return {
    id: r.id,
    questionnaire_id: r.questionnaire_id,
    slug: r.slug,
    app_id: r.app_id,
    project_id: r.project_id,
    session_id: r.session_id,
    user_id: r.user_id,
    answers: JSON.parse(r.answers) as Answers,
    schema_snapshot: r.schema_snapshot ? (JSON.parse(r.schema_snapshot) as QuestionnaireSchema) : null,
    submitted_at: r.submitted_at?.toISOString() ?? null,
    is_complete: r.submitted_at !== null,
    status: r.status,
    is_dev: r.is_dev,
    environment: r.environment,
    os_version: r.os_version,
    app_version: r.app_version,
    sdk_name: r.sdk_name,
    sdk_version: r.sdk_version,
    device_model: r.device_model,
    country_code: r.country_code,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    questionnaire_name: questionnaireName,
    questionnaire_slug: r.slug,
    ...(r.app_name !== null ? { app_name: r.app_name } : {}),
    user_properties: r.user_properties ? (JSON.parse(r.user_properties) as Record<string, string>) : null,
  };
}
