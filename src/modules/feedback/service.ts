import { decodeTimeCursor, encodeTimeCursor } from "../../lib/cursor";
import { badRequest, forbidden, notFound } from "../../lib/errors";
import { isUuid, newId, uuidParam } from "../../lib/ids";
import { deviceFields, sessionIdOf, trimmed } from "../../lib/sdk-fields";
import { triageStatus } from "../../lib/vocab";
import type { Database, SharedWriter, Tx } from "../../store/db";
import type { Caller, KeyCaller } from "../access/caller";
import type { AppContexts } from "../apps/context";
import type { AttachmentsService } from "../attachments/service";
import { commentsOf } from "../comments/repository";
import { Comments, presentComment } from "../comments/service";
import { devFilter, pageLimit, time } from "../events/params";
import type { IdentityClaims } from "../identity/claims";
import { projectFor, projectsInScope } from "../projects/scope";
import { FEEDBACK_STATUSES, type FeedbackIngestBody, type FeedbackStatus } from "./model";
import {
  countFeedback,
  type FeedbackRow,
  findFeedback,
  insertFeedback,
  listFeedback,
  softDeleteFeedback,
  updateStatus,
} from "./repository";

/** Owlmetry's limits. */
const MAX_MESSAGE_LENGTH = 4000;
const MAX_NAME_LENGTH = 255;
const MAX_EMAIL_LENGTH = 320;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Query = Record<string, string | undefined>;
type Body = typeof FeedbackIngestBody.static;

/** Feedback from apps (Owlmetry's `sendFeedback`), and its triage by the team. */
export class FeedbackService {
  constructor(
    private readonly store: Database,
    private readonly writer: SharedWriter,
    private readonly contexts: AppContexts,
    private readonly claims: IdentityClaims,
    private readonly attachments: Pick<AttachmentsService, "ofEvent">,
  ) {
    this.comments = new Comments(writer, "feedback", (tx, projectId, id) => this.live(tx, projectId, id));
  }

  private readonly comments: Comments;

  /** `POST /v1/feedback`: Owlmetry's checks in its order and words; 201 `{id, created_at}`. */
  async receive(caller: Caller, body: Body, countryHeader: string | null, now = new Date()) {
    if (caller.type !== "key") throw forbidden("API key required");
    if (caller.kind !== "client") throw forbidden("Client key required for feedback ingest");
    if (!caller.appId) throw badRequest("API key must be scoped to an app");
    const ctx = await this.contexts.of(caller as KeyCaller);
    if (ctx.bundleId !== null) {
      if (typeof body.bundle_id !== "string") throw badRequest("bundle_id is required");
      if (body.bundle_id !== ctx.bundleId) {
        throw forbidden("bundle_id does not match the app associated with this API key");
      }
    }
    const message = typeof body.message === "string" ? body.message.trim() : "";
    if (message.length === 0) throw badRequest("message is required");
    if (message.length > MAX_MESSAGE_LENGTH) {
      throw badRequest(`message must be at most ${MAX_MESSAGE_LENGTH} characters`);
    }
    const email = trimmed(body.submitter_email, MAX_EMAIL_LENGTH);
    if (email !== null && !EMAIL.test(email))
      throw badRequest("submitter_email is not a valid email address");
    const sessionId = sessionIdOf(body.session_id);
    const device = deviceFields(body, ctx.platform, countryHeader);
    const clientEventId = trimmed(body.client_event_id, 128);
    const user =
      typeof body.user_id === "string" && body.user_id.length > 0 ? body.user_id.slice(0, 255) : null;
    const id = newId();
    await this.writer.run(async () => {
      // A claimed anonymous id's feedback is its user's (resolved in the commit's order).
      const userId = user === null ? null : this.claims.resolve(ctx.project.id, user);
      return (tx) =>
        insertFeedback(tx, {
          id,
          appId: ctx.appId,
          projectId: ctx.project.id,
          sessionId,
          userId,
          message,
          submitterName: trimmed(body.submitter_name, MAX_NAME_LENGTH),
          submitterEmail: email,
          ...device,
          screenName: trimmed(body.screen_name, 255),
          clientEventId,
          createdAt: now,
        });
    });
    return { id, created_at: now.toISOString() };
  }

  /** `GET /v1/feedback`: the caller's teams, or one team or project of them (else nothing). */
  async listTeam(caller: Caller, q: Query) {
    return this.page(await projectsInScope(this.store, caller, "feedback:read", q), q, true);
  }

  /** `GET /v1/projects/:projectId/feedback`. */
  async listProject(caller: Caller, projectId: string, q: Query) {
    await this.project(caller, projectId, "feedback:read");
    return this.page([projectId.toLowerCase()], q, false);
  }

  /** `GET /v1/feedback/count`: live feedback of the scope, both data modes (as Owlmetry). */
  async count(caller: Caller, q: Query) {
    const projectIds = await projectsInScope(this.store, caller, "feedback:read", q);
    const status = statusFilter(q.status);
    const since = time("since", q.since, Date.now());
    if (projectIds.length === 0) return { count: 0 };
    return { count: await this.store.snapshot((tx) => countFeedback(tx, projectIds, status, since)) };
  }

  async get(caller: Caller, projectId: string, feedbackId: string) {
    await this.project(caller, projectId, "feedback:read");
    return this.store.snapshot(async (tx) => {
      const row = await this.live(tx, projectId, feedbackId);
      const attachments = row.client_event_id
        ? await this.attachments.ofEvent(row.app_id, row.client_event_id)
        : [];
      const comments = (await commentsOf(tx, "feedback", row.id)).map((c) =>
        presentComment(c, "feedback_id"),
      );
      const { project_name: _, ...shown } = present(row);
      return { ...shown, comments, attachments };
    });
  }

  async setStatus(caller: Caller, projectId: string, feedbackId: string, body: { status: unknown }) {
    const status = triageStatus(body.status);
    await this.project(caller, projectId, "feedback:write");
    return this.writer.run(async (tx) => {
      const row = await this.live(tx, projectId, feedbackId);
      return async (tx) => {
        await updateStatus(tx, projectId, row.id, status, new Date());
        const {
          app_name: _,
          project_name: __,
          user_properties: ___,
          ...bare
        } = present((await findFeedback(tx, projectId, row.id)) as FeedbackRow);
        return bare;
      };
    });
  }

  /** Only signed-in users delete feedback (Owlmetry: agent keys get 403 by design). */
  async remove(caller: Caller, projectId: string, feedbackId: string) {
    if (caller.type === "key") throw forbidden("Only users can delete feedback");
    await this.project(caller, projectId, "feedback:write");
    await this.writer.run(async (tx) => {
      const row = await this.live(tx, projectId, feedbackId);
      return (tx) => softDeleteFeedback(tx, projectId, row.id, new Date());
    });
    return { deleted: true as const };
  }

  async addComment(caller: Caller, projectId: string, feedbackId: string, body: { body: unknown }) {
    await this.project(caller, projectId, "feedback:write");
    return presentComment(await this.comments.add(caller, projectId, feedbackId, body), "feedback_id");
  }

  async editComment(
    caller: Caller,
    projectId: string,
    feedbackId: string,
    commentId: string,
    body: { body: unknown },
  ) {
    await this.project(caller, projectId, "feedback:write");
    return presentComment(
      await this.comments.edit(caller, projectId, feedbackId, commentId, body),
      "feedback_id",
    );
  }

  async removeComment(caller: Caller, projectId: string, feedbackId: string, commentId: string) {
    const project = await this.project(caller, projectId, "feedback:write");
    return this.comments.remove(caller, project.team_id, projectId, feedbackId, commentId);
  }

  /** The project, when the caller holds `permission` in its team; else Owlmetry's 404 or 403. */
  private project(caller: Caller, projectId: string, permission: "feedback:read" | "feedback:write") {
    return projectFor(this.store, caller, projectId, permission);
  }

  private async page(projectIds: readonly string[], q: Query, withProject: boolean) {
    const status = statusFilter(q.status);
    const isDev = devFilter(q);
    const limit = pageLimit(q.limit);
    const cursor = q.cursor ? decodeTimeCursor(q.cursor) : undefined;
    const appId = q.app_id ? uuidParam("app_id", q.app_id) : undefined;
    if (projectIds.length === 0) return { feedback: [], cursor: null, has_more: false };
    const rows = await this.store.snapshot((tx) =>
      listFeedback(tx, { projectIds, appId, status, isDev, cursor, limit }),
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      feedback: page.map((row) => {
        const shown = present(row);
        if (withProject) return shown;
        const { project_name: _, ...rest } = shown;
        return rest;
      }),
      cursor: hasMore && last ? encodeTimeCursor(last.us, last.id) : null,
      has_more: hasMore,
    };
  }

  private async live(tx: Tx, projectId: string, feedbackId: string): Promise<FeedbackRow> {
    const row = isUuid(feedbackId) ? await findFeedback(tx, projectId, feedbackId) : null;
    if (!row) throw feedbackNotFound();
    return row;
  }
}

const feedbackNotFound = () => notFound("Feedback not found");

/** A status filter: one of the four, else a 400 (Owlmetry ignores an unknown one). */
function statusFilter(value: string | undefined): FeedbackStatus | undefined {
  if (value === undefined || value === "") return undefined;
  if (!(FEEDBACK_STATUSES as readonly string[]).includes(value)) {
    throw badRequest(`status must be one of ${FEEDBACK_STATUSES.join(", ")}`);
  }
  return value as FeedbackStatus;
}

function present(row: FeedbackRow) {
  return {
    id: row.id,
    app_id: row.app_id,
    project_id: row.project_id,
    session_id: row.session_id,
    user_id: row.user_id,
    message: row.message,
    submitter_name: row.submitter_name,
    submitter_email: row.submitter_email,
    status: row.status,
    is_dev: row.is_dev,
    environment: row.environment,
    os_version: row.os_version,
    app_version: row.app_version,
    sdk_name: row.sdk_name,
    sdk_version: row.sdk_version,
    device_model: row.device_model,
    country_code: row.country_code,
    screen_name: row.screen_name,
    client_event_id: row.client_event_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    ...(row.app_name !== null ? { app_name: row.app_name } : {}),
    project_name: row.project_name,
    user_properties: row.user_properties ? (JSON.parse(row.user_properties) as Record<string, string>) : null,
  };
}
