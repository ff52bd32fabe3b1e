import { Elysia } from "elysia";
import { sdkJson } from "../../lib/body";
import { authErrors, ErrorBody } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import {
  CommentBody,
  CommentParams,
  Deleted,
  Feedback,
  FeedbackComment,
  FeedbackCountQuery,
  FeedbackCountResponse,
  FeedbackDetail,
  FeedbackIngestBody,
  FeedbackList,
  FeedbackParams,
  FeedbackQuery,
  FeedbackReceipt,
  ProjectFeedbackQuery,
  ProjectParams,
  StatusBody,
} from "./model";
import type { FeedbackService } from "./service";

const tags = ["feedback"];

/** Owlmetry's feedback: sent by apps with their client key, triaged by the team. */
export function feedbackRoutes(guard: AuthGuard, feedback: FeedbackService) {
  const project = "/projects/:id/feedback";
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .post(
      "/feedback",
      async ({ caller, body, request, set }) => {
        const receipt = await feedback.receive(caller, body, request.headers.get("cf-ipcountry"));
        set.status = 201;
        return receipt;
      },
      {
        permission: "events:write",
        rateLimit: "sdk",
        parse: [sdkJson, "json"],
        body: FeedbackIngestBody,
        response: { 201: FeedbackReceipt, 413: ErrorBody, 429: ErrorBody, ...authErrors },
        detail: {
          tags,
          summary: "Send feedback from an app (Owlmetry's sendFeedback; a client key)",
        },
      },
    )
    .get("/feedback", ({ caller, query }) => feedback.listTeam(caller, query), {
      permission: "feedback:read",
      query: FeedbackQuery,
      response: { 200: FeedbackList, ...authErrors },
      detail: { tags, summary: "Feedback of the caller's teams, newest first" },
    })
    .get("/feedback/count", ({ caller, query }) => feedback.count(caller, query), {
      permission: "feedback:read",
      query: FeedbackCountQuery,
      response: { 200: FeedbackCountResponse, ...authErrors },
      detail: { tags, summary: "How much live feedback there is (by status, since a time)" },
    })
    .get(project, ({ caller, params, query }) => feedback.listProject(caller, params.id, query), {
      permission: "feedback:read",
      params: ProjectParams,
      query: ProjectFeedbackQuery,
      response: { 200: FeedbackList, ...authErrors },
      detail: { tags, summary: "A project's feedback, newest first" },
    })
    .get(
      `${project}/:feedbackId`,
      ({ caller, params }) => feedback.get(caller, params.id, params.feedbackId),
      {
        permission: "feedback:read",
        params: FeedbackParams,
        response: { 200: FeedbackDetail, ...authErrors },
        detail: { tags, summary: "One item with its comments and attachments" },
      },
    )
    .patch(
      `${project}/:feedbackId`,
      ({ caller, params, body }) => feedback.setStatus(caller, params.id, params.feedbackId, body),
      {
        permission: "feedback:write",
        params: FeedbackParams,
        body: StatusBody,
        response: { 200: Feedback, ...authErrors },
        detail: { tags, summary: "Set the status: new, in_review, addressed or dismissed" },
      },
    )
    .delete(
      `${project}/:feedbackId`,
      ({ caller, params }) => feedback.remove(caller, params.id, params.feedbackId),
      {
        permission: "feedback:write",
        params: FeedbackParams,
        response: { 200: Deleted, ...authErrors },
        detail: { tags, summary: "Delete an item (signed-in users only)" },
      },
    )
    .post(
      `${project}/:feedbackId/comments`,
      async ({ caller, params, body, set }) => {
        const comment = await feedback.addComment(caller, params.id, params.feedbackId, body);
        set.status = 201;
        return comment;
      },
      {
        permission: "feedback:write",
        params: FeedbackParams,
        body: CommentBody,
        response: { 201: FeedbackComment, ...authErrors },
        detail: { tags, summary: "Comment on an item" },
      },
    )
    .patch(
      `${project}/:feedbackId/comments/:commentId`,
      ({ caller, params, body }) =>
        feedback.editComment(caller, params.id, params.feedbackId, params.commentId, body),
      {
        permission: "feedback:write",
        params: CommentParams,
        body: CommentBody,
        response: { 200: FeedbackComment, ...authErrors },
        detail: { tags, summary: "Edit your comment" },
      },
    )
    .delete(
      `${project}/:feedbackId/comments/:commentId`,
      ({ caller, params }) => feedback.removeComment(caller, params.id, params.feedbackId, params.commentId),
      {
        permission: "feedback:write",
        params: CommentParams,
        response: { 200: Deleted, ...authErrors },
        detail: { tags, summary: "Delete your comment (a team admin may delete any)" },
      },
    );
}
