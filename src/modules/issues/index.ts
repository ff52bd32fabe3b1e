import { Elysia } from "elysia";
import { authErrors, DeletedFlag } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import {
  CommentBody,
  CommentList,
  CommentParams,
  DetailQuery,
  Issue,
  IssueComment,
  IssueDetail,
  IssueList,
  IssueParams,
  IssueQuery,
  MergeBody,
  Merged,
  ProjectParams,
  TeamIssueQuery,
  UpdateBody,
} from "./model";
import type { IssuesService } from "./service";

const tags = ["issues"];

/** Owlmetry's issues API: errors grouped as they arrive (decision 011). */
export function issuesRoutes(guard: AuthGuard, issues: IssuesService) {
  const one = "/projects/:id/issues/:issueId";
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .get("/issues", ({ caller, query }) => issues.listTeam(caller, query), {
      permission: "issues:read",
      query: TeamIssueQuery,
      response: { 200: IssueList, ...authErrors },
      detail: { tags, summary: "Issues of the caller's teams, most recently seen first (or by sort)" },
    })
    .get(
      "/projects/:id/issues",
      ({ caller, params, query }) => issues.listProject(caller, params.id, query),
      {
        permission: "issues:read",
        params: ProjectParams,
        query: IssueQuery,
        response: { 200: IssueList, ...authErrors },
        detail: { tags, summary: "A project's issues" },
      },
    )
    .get(one, ({ caller, params, query }) => issues.get(caller, params.id, params.issueId, query), {
      permission: "issues:read",
      params: IssueParams,
      query: DetailQuery,
      response: { 200: IssueDetail, ...authErrors },
      detail: { tags, summary: "One issue: counts, days, occurrences (a session each) and comments" },
    })
    .patch(one, ({ caller, params, body }) => issues.update(caller, params.id, params.issueId, body), {
      permission: "issues:write",
      params: IssueParams,
      body: UpdateBody,
      response: { 200: Issue, ...authErrors },
      detail: {
        tags,
        summary: "Set the status: resolve in a version, silence, snooze (until a time or a count), reopen",
      },
    })
    .post(
      `${one}/merge`,
      ({ caller, params, body }) => issues.merge(caller, params.id, params.issueId, body),
      {
        permission: "issues:write",
        params: IssueParams,
        body: MergeBody,
        response: { 200: Merged, ...authErrors },
        detail: { tags, summary: "Merge another issue of the project into this one" },
      },
    )
    .get(`${one}/comments`, ({ caller, params }) => issues.listComments(caller, params.id, params.issueId), {
      permission: "issues:read",
      params: IssueParams,
      response: { 200: CommentList, ...authErrors },
      detail: { tags, summary: "An issue's comments, oldest first" },
    })
    .post(
      `${one}/comments`,
      async ({ caller, params, body, set }) => {
        const comment = await issues.addComment(caller, params.id, params.issueId, body);
        set.status = 201;
        return comment;
      },
      {
        permission: "issues:write",
        params: IssueParams,
        body: CommentBody,
        response: { 201: IssueComment, ...authErrors },
        detail: { tags, summary: "Comment on an issue" },
      },
    )
    .patch(
      `${one}/comments/:commentId`,
      ({ caller, params, body }) =>
        issues.editComment(caller, params.id, params.issueId, params.commentId, body),
      {
        permission: "issues:write",
        params: CommentParams,
        body: CommentBody,
        response: { 200: IssueComment, ...authErrors },
        detail: { tags, summary: "Edit your comment" },
      },
    )
    .delete(
      `${one}/comments/:commentId`,
      ({ caller, params }) => issues.removeComment(caller, params.id, params.issueId, params.commentId),
      {
        permission: "issues:write",
        params: CommentParams,
        response: { 200: DeletedFlag, ...authErrors },
        detail: { tags, summary: "Delete your comment (a team admin may delete any)" },
      },
    );
}
